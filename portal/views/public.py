"""Public pages: the competitions, their units, rules and key dates."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from portal.access import get_competition_for_user
from portal.models import Competition

# The home page shows the newest few; the list pages through the rest (both stay a fixed number of queries).
HOME_LIMIT = 20
LIST_PAGE_SIZE = 24


def home(request):
    competitions = Competition.objects.visible_to(request.user).order_by("-edition_year", "-submission_closes_at")
    shown = list(competitions[: HOME_LIMIT + 1])
    context = {"competitions": shown[:HOME_LIMIT], "more": len(shown) > HOME_LIMIT, "now": timezone.now()}
    return render(request, "portal/home.html", context)


def competition_list(request):
    # pk last: a stable order, so no competition shows on two pages or on none.
    competitions = Competition.objects.visible_to(request.user).order_by(
        "-edition_year", "-submission_closes_at", "-pk"
    )
    page = Paginator(competitions, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"competitions": page.object_list, "page": page, "now": timezone.now()}
    return render(request, "portal/competition_list.html", context)


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
