"""Public pages: the competitions, their units, rules and key dates."""

from django.shortcuts import render
from django.utils import timezone

from portal.access import get_competition_for_user
from portal.models import Competition


def home(request):
    competitions = Competition.objects.visible_to(request.user).order_by("-edition_year", "-submission_closes_at")
    return render(request, "portal/home.html", {"competitions": competitions[:20], "now": timezone.now()})


def competition_list(request):
    competitions = Competition.objects.visible_to(request.user).order_by("-edition_year", "-submission_closes_at")
    return render(request, "portal/competition_list.html", {"competitions": competitions, "now": timezone.now()})


def competition_detail(request, slug):
    competition = get_competition_for_user(request.user, slug)
    units = competition.units.all()
    tracks = competition.tracks.all()
    is_organizer = request.user.has_perm("portal.manage_competition", competition)
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "portal/competition_detail.html",
            {
                "competition": competition,
                "units": units,
                "tracks": tracks,
                "now": timezone.now(),
                "is_organizer": is_organizer,
            },
        )


def competition_rules(request, slug):
    competition = get_competition_for_user(request.user, slug)
    context = {"competition": competition, "tracks": competition.tracks.all(), "units": competition.units.all()}
    with timezone.override(competition.tzinfo):
        return render(request, "portal/competition_rules.html", context)
