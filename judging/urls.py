from django.urls import path

from judging.views import (
    analytics,
    assign,
    awards,
    invitations,
    judge,
    judge_entry,
    judge_files,
    live,
    panel,
    public,
    public_objections,
    ranking,
    rounds,
    versions,
)

app_name = "judging"

R = "console/c/<slug:slug>/judging/"
RR = R + "rounds/<int:round_id>/"
J = "judging/r/<int:round_id>/"
JE = J + "e/<int:entry_id>/"

P = "c/<slug:slug>/"
RV = RR + "results/versions/<int:version_id>/"

urlpatterns = [
    # Public results (only published versions; a draft's URL answers 404)
    path(P + "results/", public.results, name="results"),
    path(P + "results/v/<int:version_id>/", public.version, name="public_version"),
    path(P + "winners/", public.winners, name="winners"),
    path(P + "works/<str:number>/", public.entry, name="public_entry"),
    path(P + "works/<str:number>/poster/", public.poster, name="public_poster"),
    path(P + "works/<str:number>/trailer/", public.trailer, name="public_trailer"),
    path(P + "works/<str:number>/laurel/<slug:award>.png", public.laurel, name="laurel"),
    path(
        P + "results/v/<int:version_id>/object/<str:number>/",
        public_objections.objection_create,
        name="objection_create",
    ),
    path("objections/<int:objection_id>/evidence/", public_objections.objection_evidence, name="objection_evidence"),
    # Judges
    path("judging/", judge.home, name="judge_home"),
    path("judging/invitations/<str:token>/", invitations.accept, name="invitation"),
    path("judging/profile/", invitations.judge_profile, name="judge_profile"),
    path(
        "judging/profile/declarations/<int:declaration_id>/delete/",
        invitations.declaration_delete,
        name="declaration_delete",
    ),
    path(J, judge.queue, name="queue"),
    path(J + "live/", live.judge_live, name="live"),
    path(JE, judge_entry.entry, name="entry"),
    path(JE + "conflict/", judge_entry.entry_declare_conflict, name="entry_declare_conflict"),
    path(JE + "m/<int:material_id>/", judge_files.material, name="entry_material"),
    path(JE + "m/<int:material_id>/thumbnail/", judge_files.material_thumbnail, name="entry_material_thumbnail"),
    path(JE + "v/<int:video_id>/preview/", judge_files.video_preview, name="entry_video_preview"),
    path(JE + "v/<int:video_id>/poster/", judge_files.video_poster, name="entry_video_poster"),
    path(JE + "v/<int:video_id>/watch/", judge_files.watch, name="watch"),
    # Organizers
    path(R, rounds.round_list, name="rounds"),
    path(R + "rounds/new/", rounds.round_create, name="round_create"),
    path(R + "rounds/defaults/", rounds.rounds_create_defaults, name="rounds_create_defaults"),
    path(R + "ledger/", rounds.ledger, name="ledger"),
    path(R + "conflicts/", panel.conflicts, name="conflicts"),
    path(R + "conflicts/detect/", panel.conflicts_detect, name="conflicts_detect"),
    path(R + "conflicts/<int:conflict_id>/waive/", panel.conflict_waive, name="conflict_waive"),
    path(R + "conflicts/<int:conflict_id>/unwaive/", panel.conflict_unwaive, name="conflict_unwaive"),
    path(RR, rounds.round_detail, name="round_detail"),
    path(RR + "edit/", rounds.round_edit, name="round_edit"),
    path(RR + "entries/", rounds.round_entries, name="round_entries"),
    path(RR + "entries/populate/", rounds.round_populate, name="round_populate"),
    path(RR + "entries/<int:entry_id>/remove/", rounds.round_entry_remove, name="round_entry_remove"),
    path(RR + "rubrics/<str:kind>/", rounds.rubric_edit, name="rubric_edit"),
    path(RR + "panel/", panel.panel, name="panel"),
    path(RR + "panel/<int:membership_id>/drop/", panel.panel_drop, name="panel_drop"),
    path(RR + "panel/<int:membership_id>/expertise/", panel.panel_expertise, name="panel_expertise"),
    path(RR + "invitations/<int:invitation_id>/revoke/", panel.invitation_revoke, name="invitation_revoke"),
    path(RR + "invitations/<int:invitation_id>/resend/", panel.invitation_resend, name="invitation_resend"),
    path(RR + "assignments/", assign.assignments, name="assignments"),
    path(RR + "assignments/auto/", assign.assign_auto, name="assign_auto"),
    path(RR + "assignments/add/", assign.assign_add, name="assign_add"),
    path(RR + "assignments/<int:assignment_id>/remove/", assign.assign_remove, name="assign_remove"),
    path(RR + "progress/", assign.progress, name="progress"),
    path(RR + "progress/remind/", assign.remind, name="remind"),
    path(RR + "results/", ranking.ranking, name="ranking"),
    path(RR + "results/advance/", ranking.advance, name="advance"),
    path(RR + "results/decisions/<int:decision_id>/override/", ranking.decision_override, name="decision_override"),
    path(RR + "results/versions/", versions.versions, name="versions"),
    path(RV, versions.version_detail, name="version_detail"),
    path(RV + "schedule/", versions.version_schedule, name="version_schedule"),
    path(RV + "publish/", versions.version_publish, name="version_publish"),
    path(RV + "revise/", versions.version_revise, name="version_revise"),
    path(RV + "finalise/", versions.version_finalise, name="version_finalise"),
    path(RV + "notifications/retry/", versions.notifications_retry, name="notifications_retry"),
    path(RR + "results/objections/<int:objection_id>/answer/", versions.objection_answer, name="objection_answer"),
    path(RR + "analytics/", analytics.analytics, name="analytics"),
    path(RR + "exports/<str:what>.<str:fmt>", analytics.export, name="export"),
    path(R + "awards/", awards.awards, name="awards"),
    path(R + "awards/<int:category_id>/", awards.award_detail, name="award_detail"),
    path(R + "awards/<int:category_id>/delete/", awards.award_delete, name="award_delete"),
    path(R + "awards/nominations/<int:nomination_id>/winner/", awards.nomination_winner, name="nomination_winner"),
    path(R + "awards/nominations/<int:nomination_id>/delete/", awards.nomination_delete, name="nomination_delete"),
    path(RR + "live/", live.live_console, name="live_console"),
    path(RR + "live/status/", live.live_status, name="live_status"),
    path(RR + "live/select/", live.live_select, name="live_select"),
    path(RR + "live/reveal/", live.live_reveal, name="live_reveal"),
]
