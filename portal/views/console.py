"""The organizer console: competitions, their tracks and units, and the organizing team."""

import copy
import zoneinfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import services
from portal.access import get_competition_for_organizer, staff_page
from portal.forms import AddOrganizerForm, CompetitionForm, TrackForm, UnitForm
from portal.models import Competition, CompetitionRole, Role


@staff_page
def console_home(request):
    competitions = (
        Competition.objects.organized_by(request.user)
        .annotate(unit_count=Count("units", distinct=True))
        .order_by("-edition_year", "-submission_closes_at")
    )
    return render(
        request,
        "portal/console/home.html",
        {"competitions": competitions, "can_create": request.user.has_perm("portal.create_competition")},
    )


@staff_page
def competition_create(request):
    if not request.user.has_perm("portal.create_competition"):
        raise Http404
    form = CompetitionForm(request.POST or None)
    # The window is typed in the zone chosen on the same form; an unknown zone is reported by the form.
    zone = request.POST.get("timezone")
    with timezone.override(zone if zone in zoneinfo.available_timezones() else "Asia/Shanghai"):
        if request.method == "POST" and form.is_valid():
            competition = services.create_competition(competition=form.save(commit=False), creator=request.user)
            messages.success(request, _("The competition has been created. Add its units next."))
            return redirect("portal:console_competition", slug=competition.slug)
        return render(request, "portal/console/competition_form.html", {"form": form, "competition": None})


@staff_page
def competition_overview(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "portal/console/competition.html",
            {
                "competition": competition,
                "tracks": competition.tracks.all(),
                "units": competition.units.all(),
                "organizers": competition.roles.filter(role=Role.ORGANIZER).select_related("user"),
                "log": competition.log.select_related("actor")[:15],
                "now": timezone.now(),
            },
        )


@staff_page
def competition_edit(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    with timezone.override(competition.tzinfo):
        # The form edits a copy: a rejected slug or name must not leak into this page's header and links.
        form = CompetitionForm(request.POST or None, instance=copy.copy(competition))
        if request.method == "POST" and form.is_valid():
            competition = services.update_competition(
                competition=form.save(commit=False), actor=request.user, changed_fields=form.changed_data
            )
            messages.success(request, _("The competition has been saved."))
            return redirect("portal:console_competition", slug=competition.slug)
        return render(request, "portal/console/competition_form.html", {"form": form, "competition": competition})


@staff_page
def track_edit(request, slug, kind):
    competition = get_competition_for_organizer(request.user, slug)
    track = get_object_or_404(competition.tracks, kind=kind)
    form = TrackForm(request.POST or None, instance=track)
    if request.method == "POST" and form.is_valid():
        services.update_track(track=form.save(commit=False), actor=request.user, changed_fields=form.changed_data)
        messages.success(request, _("The track has been saved."))
        return redirect("portal:console_competition", slug=competition.slug)
    return render(
        request, "portal/console/track_form.html", {"form": form, "competition": competition, "track": track}
    )


@staff_page
def unit_create(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    return _unit_form(request, competition, unit=None)


@staff_page
def unit_edit(request, slug, unit_id):
    competition = get_competition_for_organizer(request.user, slug)
    unit = get_object_or_404(competition.units, pk=unit_id)
    return _unit_form(request, competition, unit=unit)


def _unit_form(request, competition, unit):
    with timezone.override(competition.tzinfo):
        form = UnitForm(request.POST or None, instance=unit, competition=competition)
        if request.method == "POST" and form.is_valid():
            services.save_unit(unit=form.save(commit=False), actor=request.user, changed_fields=form.changed_data)
            messages.success(request, _("The unit has been saved."))
            return redirect("portal:console_competition", slug=competition.slug)
        return render(
            request, "portal/console/unit_form.html", {"form": form, "competition": competition, "unit": unit}
        )


@staff_page
@require_POST
def unit_delete(request, slug, unit_id):
    competition = get_competition_for_organizer(request.user, slug)
    unit = get_object_or_404(competition.units, pk=unit_id)
    try:
        services.delete_unit(unit=unit, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("portal:console_unit_edit", slug=competition.slug, unit_id=unit.pk)
    messages.success(request, _("The unit “%(name)s” has been deleted.") % {"name": unit.name})
    return redirect("portal:console_competition", slug=competition.slug)


@staff_page
def team(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    form = AddOrganizerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.grant_role(competition=competition, user=form.user, role=Role.ORGANIZER, granted_by=request.user)
        messages.success(request, _("%(email)s is now an organizer.") % {"email": form.user.email})
        return redirect("portal:console_team", slug=competition.slug)
    memberships = competition.roles.filter(role=Role.ORGANIZER).select_related("user").order_by("user__email")
    return render(
        request, "portal/console/team.html", {"competition": competition, "form": form, "memberships": memberships}
    )


@staff_page
@require_POST
def team_remove(request, slug, membership_id):
    competition = get_competition_for_organizer(request.user, slug)
    # Judges are managed with their panels (judging), so only organizer rows are found here.
    membership = get_object_or_404(CompetitionRole, pk=membership_id, competition=competition, role=Role.ORGANIZER)
    if competition.roles.filter(role=Role.ORGANIZER).count() == 1:
        messages.error(request, _("A competition needs at least one organizer; add another before removing this one."))
        return redirect("portal:console_team", slug=competition.slug)
    services.revoke_role(membership=membership, revoked_by=request.user)
    messages.success(request, _("%(email)s is no longer an organizer.") % {"email": membership.user.email})
    return redirect("portal:console_team", slug=competition.slug)
