from django.urls import path

from submissions.views import entrant, files, organizer, steps, tus, videos

app_name = "submissions"

urlpatterns = [
    # Entrants
    path("entries/", entrant.dashboard, name="dashboard"),
    path("entries/new/<slug:slug>/", entrant.entry_create, name="entry_create"),
    path("entries/<int:entry_id>/", entrant.entry_overview, name="entry_overview"),
    path("entries/<int:entry_id>/edit/<slug:step>/", steps.entry_step, name="entry_step"),
    path("entries/<int:entry_id>/submit/", entrant.entry_submit, name="entry_submit"),
    path("entries/<int:entry_id>/withdraw/", entrant.entry_withdraw, name="entry_withdraw"),
    path("entries/<int:entry_id>/materials/<slug:kind>/", entrant.material_upload, name="material_upload"),
    path(
        "entries/<int:entry_id>/materials/<int:material_id>/delete/",
        entrant.material_delete,
        name="material_delete",
    ),
    path("entries/<int:entry_id>/coowners/", entrant.coowners, name="coowners"),
    path(
        "entries/<int:entry_id>/coowners/<int:coowner_id>/remove/", entrant.coowner_remove, name="coowner_remove"
    ),
    # Videos: resumable uploads (tus 1.0.0), live status, removal
    path("uploads/tus/", tus.tus_create, name="tus_create"),
    # The same endpoint without the slash: APPEND_SLASH cannot redirect a POST, and clients are configured by hand.
    path("uploads/tus", tus.tus_create),
    path("uploads/tus/<uuid:upload_id>", tus.tus_upload, name="tus_upload"),
    path("entries/<int:entry_id>/videos/status/", videos.video_status, name="video_status"),
    path("entries/<int:entry_id>/videos/<int:video_id>/delete/", videos.video_delete, name="video_delete"),
    path("files/videos/<int:video_id>/preview/", files.video_preview, name="video_preview"),
    path("files/videos/<int:video_id>/poster/", files.video_poster, name="video_poster"),
    path("files/videos/<int:video_id>/thumbnails/", files.video_thumbnails, name="video_thumbnails"),
    path("console/c/<slug:slug>/videos/", videos.organizer_videos, name="organizer_videos"),
    path(
        "console/c/<slug:slug>/videos/<int:video_id>/retry/", videos.organizer_video_retry, name="organizer_video_retry"
    ),
    # Files, for everyone allowed to see the entry
    path("files/materials/<int:material_id>/", files.material_file, name="material_file"),
    path("files/materials/<int:material_id>/thumbnail/", files.material_thumbnail, name="material_thumbnail"),
    # Organizers
    path("console/c/<slug:slug>/entries/", organizer.entry_list, name="organizer_entry_list"),
    path("console/c/<slug:slug>/entries/export.csv", organizer.export_csv, name="organizer_export_csv"),
    path("console/c/<slug:slug>/entries/export.xlsx", organizer.export_xlsx, name="organizer_export_xlsx"),
    path("console/c/<slug:slug>/entries/<int:entry_id>/", organizer.entry_detail, name="organizer_entry_detail"),
    path(
        "console/c/<slug:slug>/entries/<int:entry_id>/decide/", organizer.entry_decide, name="organizer_entry_decide"
    ),
]
