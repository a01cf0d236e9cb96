from django.contrib import admin
from django.urls import include, path

from portal.views import account, console, health, public

portal_patterns = [
    path("", public.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("competitions/", public.competition_list, name="competition_list"),
    path("c/<slug:slug>/", public.competition_detail, name="competition_detail"),
    path("c/<slug:slug>/rules/", public.competition_rules, name="competition_rules"),
    path("account/profile/", account.profile, name="profile"),
    path("i18n/setlang/", account.set_language, name="set_language"),
    path("console/", console.console_home, name="console_home"),
    path("console/new/", console.competition_create, name="console_competition_create"),
    path("console/c/<slug:slug>/", console.competition_overview, name="console_competition"),
    path("console/c/<slug:slug>/edit/", console.competition_edit, name="console_competition_edit"),
    path("console/c/<slug:slug>/tracks/<str:kind>/", console.track_edit, name="console_track_edit"),
    path("console/c/<slug:slug>/units/new/", console.unit_create, name="console_unit_create"),
    path("console/c/<slug:slug>/units/<int:unit_id>/", console.unit_edit, name="console_unit_edit"),
    path("console/c/<slug:slug>/units/<int:unit_id>/delete/", console.unit_delete, name="console_unit_delete"),
    path("console/c/<slug:slug>/team/", console.team, name="console_team"),
    path(
        "console/c/<slug:slug>/team/<int:membership_id>/remove/", console.team_remove, name="console_team_remove"
    ),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("", include("submissions.urls")),
    path("", include("judging.urls")),
    # Before allauth's own URLs, so this set-up view (which returns staff to where they were going) wins.
    path("accounts/2fa/totp/activate/", account.activate_totp, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

# A database connection error raised in middleware (session, user) answers 503, like one raised in a view.
handler500 = "portal.resilience.server_error"
