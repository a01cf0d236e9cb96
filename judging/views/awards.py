"""The organizer's award pages: the competition's award categories, one category with its nominations from the
final round, and the winners with their citations.

Every view is a staff page and finds its competition through portal.access, which answers 404 to anyone who does
not organize the competition; categories and nominations are looked up within that competition only.
"""

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from judging import awards as services
from judging.award_forms import AwardCategoryForm, NominationForm, WinnerForm
from judging.models import AwardCategory, Nomination
from judging.views.common import messages_of
from portal.access import get_competition_for_organizer, staff_page


def _add_errors(form, error):
    """A service's ValidationError on the form: next to its field when it names one, otherwise at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _category_for_organizer(user, slug, category_id):
    competition = get_competition_for_organizer(user, slug)
    category = get_object_or_404(AwardCategory.objects.select_related("track"), pk=category_id, competition=competition)
    return competition, category


def _nomination_for_organizer(user, slug, nomination_id):
    competition = get_competition_for_organizer(user, slug)
    nomination = get_object_or_404(
        Nomination.objects.select_related("category__track", "entry", "credit"),
        pk=nomination_id,
        category__competition=competition,
    )
    return competition, nomination


# --- The categories -------------------------------------------------------------------------------------------


@staff_page
def awards(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    categories = competition.award_categories.all()
    next_position = (categories.aggregate(last=Max("position"))["last"] or 0) + 1
    form = AwardCategoryForm(
        request.POST if request.method == "POST" and request.POST.get("action") != "defaults" else None,
        competition=competition,
        initial={"position": next_position, "max_winners": 1},
    )
    if request.method == "POST":
        if request.POST.get("action") == "defaults":
            return _create_defaults(request, competition)
        if form.is_valid():
            try:
                category = services.save_category(category=form.save(commit=False), actor=request.user)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The award “%(name)s” has been added.") % {"name": category.name})
                return redirect("judging:award_detail", slug=competition.slug, category_id=category.pk)
    categories = (
        categories.select_related("track")
        .annotate(
            nomination_count=Count("nominations"),
            winner_count=Count("nominations", filter=Q(nominations__is_winner=True)),
        )
        .order_by("position", "pk")
    )
    return render(
        request,
        "judging/organizer/awards.html",
        {
            "competition": competition,
            "categories": categories,
            "form": form,
            "final_round": services.final_round(competition),
        },
    )


def _create_defaults(request, competition):
    try:
        created = services.create_default_awards(competition=competition, actor=request.user)
    except ValidationError as error:
        for message in messages_of(error):
            messages.error(request, message)
    else:
        if created:
            messages.success(
                request,
                ngettext(
                    "%(count)d award has been created. Edit it as you need.",
                    "%(count)d awards have been created. Edit them as you need.",
                    len(created),
                )
                % {"count": len(created)},
            )
        else:
            messages.info(request, _("Every default award exists already; nothing has been added."))
    return redirect("judging:awards", slug=competition.slug)


# --- One category -----------------------------------------------------------------------------------------------


@staff_page
def award_detail(request, slug, category_id):
    competition, category = _category_for_organizer(request.user, slug, category_id)
    action = request.POST.get("action") if request.method == "POST" else None
    # The form edits a copy: a rejected name must not leak into this page's heading.
    category_form = AwardCategoryForm(
        request.POST if action == "edit" else None, instance=copy.copy(category), competition=competition
    )
    round = services.final_round(competition)
    candidates = services.candidates(category, round)
    nomination_form = NominationForm(
        request.POST if action == "nominate" else None, category=category, candidates=candidates
    )
    if action == "edit" and category_form.is_valid():
        try:
            services.save_category(category=category_form.save(commit=False), actor=request.user)
        except ValidationError as error:
            _add_errors(category_form, error)
        else:
            messages.success(request, _("The award has been saved."))
            return redirect("judging:award_detail", slug=competition.slug, category_id=category.pk)
    if action == "nominate" and nomination_form.is_valid():
        data = nomination_form.cleaned_data
        try:
            nomination = services.nominate(
                category=category, entry=data["entry_object"], credit=data["credit_object"], actor=request.user
            )
        except ValidationError as error:
            _add_errors(nomination_form, error)
        else:
            messages.success(
                request,
                _("“%(title)s” (%(number)s) has been nominated.")
                % {"title": nomination.entry.title, "number": nomination.entry.number or "—"},
            )
            return redirect("judging:award_detail", slug=competition.slug, category_id=category.pk)
    return _detail_page(
        request,
        competition,
        category,
        round=round,
        category_form=category_form,
        nomination_form=nomination_form,
        open_form=action,
    )


def _detail_page(
    request,
    competition,
    category,
    *,
    round,
    category_form,
    nomination_form,
    open_form=None,
    winner_form=None,
    winner_of=None,
):
    """The category page; `winner_form` is the (bound, invalid) citation form of nomination `winner_of`."""
    nominations = list(
        category.nominations.select_related("entry__unit", "entry__track", "credit", "round").order_by(
            "-is_winner", "entry__sequence", "entry__number", "pk"
        )
    )
    for nomination in nominations:
        if winner_of is not None and nomination.pk == winner_of:
            nomination.winner_form = winner_form
        else:
            nomination.winner_form = WinnerForm(
                prefix=f"winner-{nomination.pk}",
                initial={"citation_zh": nomination.citation_zh, "citation_en": nomination.citation_en},
            )
    winners = sum(1 for nomination in nominations if nomination.is_winner)
    return render(
        request,
        "judging/organizer/award_detail.html",
        {
            "competition": competition,
            "category": category,
            "round": round,
            "nominations": nominations,
            "winners": winners,
            "full": winners >= category.max_winners,
            "category_form": category_form,
            "nomination_form": nomination_form,
            "open_form": open_form,
            "winner_of": winner_of,
        },
    )


@staff_page
@require_POST
def award_delete(request, slug, category_id):
    competition, category = _category_for_organizer(request.user, slug, category_id)
    name = category.name
    try:
        services.delete_category(category=category, actor=request.user)
    except ValidationError as error:
        for message in messages_of(error):
            messages.error(request, message)
        return redirect("judging:award_detail", slug=competition.slug, category_id=category.pk)
    messages.success(request, _("The award “%(name)s” has been deleted.") % {"name": name})
    return redirect("judging:awards", slug=competition.slug)


# --- Nominations ------------------------------------------------------------------------------------------------


@staff_page
@require_POST
def nomination_winner(request, slug, nomination_id):
    """Mark a nomination as a winner with its citation (or, with action=unset, no longer a winner)."""
    competition, nomination = _nomination_for_organizer(request.user, slug, nomination_id)
    category = nomination.category
    back = redirect("judging:award_detail", slug=competition.slug, category_id=category.pk)
    if request.POST.get("action") == "unset":
        services.unchoose_winner(nomination=nomination, actor=request.user)
        messages.success(
            request, _("“%(title)s” is no longer a winner; it stays nominated.") % {"title": nomination.entry.title}
        )
        return back
    form = WinnerForm(request.POST, prefix=f"winner-{nomination.pk}")
    if form.is_valid():
        try:
            services.choose_winner(
                nomination=nomination,
                actor=request.user,
                citation_zh=form.cleaned_data["citation_zh"],
                citation_en=form.cleaned_data["citation_en"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("“%(title)s” is a winner of “%(award)s”.")
                % {"title": nomination.entry.title, "award": category.name},
            )
            return back
    round = services.final_round(competition)
    return _detail_page(
        request,
        competition,
        category,
        round=round,
        category_form=AwardCategoryForm(instance=copy.copy(category), competition=competition),
        nomination_form=NominationForm(category=category, candidates=services.candidates(category, round)),
        winner_form=form,
        winner_of=nomination.pk,
    )


@staff_page
@require_POST
def nomination_delete(request, slug, nomination_id):
    competition, nomination = _nomination_for_organizer(request.user, slug, nomination_id)
    services.withdraw_nomination(nomination=nomination, actor=request.user)
    messages.success(
        request,
        _("The nomination of “%(title)s” has been withdrawn.") % {"title": nomination.entry.title},
    )
    return redirect("judging:award_detail", slug=competition.slug, category_id=nomination.category_id)
