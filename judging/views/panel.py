"""The organizer's panel pages: a round's judges and invitations, and the competition's conflicts of interest.

Every view is a staff page and finds its round or competition through judging.access / portal.access, which answer
404 to anyone who does not organize the competition; rows named in the URL are looked up under that round or
competition only, so a forged id is a 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from judging import conflicts as conflict_services
from judging import invitations as invitation_services
from judging import panels
from judging.access import get_round_for_organizer
from judging.models import Conflict, ConflictDeclaration, ConflictSource, PanelMembership
from judging.panel_forms import (
    CONFLICT_FILTER_KEYS,
    AddJudgeForm,
    ConflictFilterForm,
    ExpertiseForm,
    InviteForm,
    ReasonForm,
    competition_judges,
    round_units,
)
from judging.views.common import messages_of
from portal.access import get_competition_for_organizer, staff_page

PAGE_SIZE = 50



def _panel_redirect(competition, round):
    return redirect("judging:panel", slug=competition.slug, round_id=round.pk)


@staff_page
def panel(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    units = round_units(round)
    invite_form = InviteForm(units=units)
    add_form = AddJudgeForm(round=round, units=units)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            add_form = AddJudgeForm(request.POST, round=round, units=units)
            if add_form.is_valid():
                judge = add_form.cleaned_data["judge"]
                try:
                    panels.add_judge(
                        round=round, user=judge, actor=request.user, expertise=list(add_form.cleaned_data["expertise"])
                    )
                except ValidationError as error:
                    add_form.add_error(None, error)
                else:
                    messages.success(
                        request, _("%(judge)s is now on this panel.") % {"judge": judge.display_name or judge.email}
                    )
                    return _panel_redirect(competition, round)
        else:
            invite_form = InviteForm(request.POST, units=units)
            if invite_form.is_valid():
                try:
                    invitations = invitation_services.invite_judges(
                        round=round,
                        emails=invite_form.cleaned_data["emails"],
                        actor=request.user,
                        expertise=list(invite_form.cleaned_data["expertise"]),
                    )
                except ValidationError as error:
                    invite_form.add_error(None if hasattr(error, "error_dict") else "emails", error)
                else:
                    sent, asked = len(invitations), len(invite_form.cleaned_data["emails"])
                    text = ngettext(
                        "%(count)s invitation is on its way.", "%(count)s invitations are on their way.", sent
                    ) % {"count": sent}
                    if sent < asked:
                        text += " " + ngettext(
                            "%(count)s address was skipped: already on the panel or invited.",
                            "%(count)s addresses were skipped: already on the panel or invited.",
                            asked - sent,
                        ) % {"count": asked - sent}
                    messages.success(request, text)
                    return _panel_redirect(competition, round)
    return _render_panel(request, competition, round, units, invite_form=invite_form, add_form=add_form)


def _render_panel(request, competition, round, units, *, invite_form, add_form):
    members = panels.judge_progress_rows(round)
    prefetch_related_objects(members, "expertise", "judge__judge_profile")
    members.sort(key=lambda member: (not member.active, (member.judge.display_name or member.judge.email).lower()))
    for member in members:
        profile = getattr(member.judge, "judge_profile", None)
        member.affiliations = profile.affiliation_list if profile else []
        member.expertise_ids = {unit.pk for unit in member.expertise.all()}
    invitations = list(round.invitations.pending().order_by("-created_at"))
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/panel.html",
            {
                "competition": competition,
                "round": round,
                "members": members,
                "units": units,
                "invitations": invitations,
                "invite_form": invite_form,
                "add_form": add_form,
                "can_add": add_form.is_bound or add_form.fields["judge"].queryset.exists(),
                "reason_max_length": ReasonForm.base_fields["reason"].max_length,
            },
        )


def _membership(round, membership_id):
    return get_object_or_404(PanelMembership.objects.select_related("judge"), pk=membership_id, round=round)


@staff_page
@require_POST
def panel_drop(request, slug, round_id, membership_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    membership = _membership(round, membership_id)
    name = membership.judge.display_name or membership.judge.email
    form = ReasonForm(request.POST)
    if not membership.active:
        messages.info(request, _("%(judge)s has already left this panel.") % {"judge": name})
    elif not form.is_valid():
        messages.error(request, _("Give the reason %(judge)s leaves the panel; nothing was changed.") % {"judge": name})
    else:
        try:
            panels.drop_judge(membership=membership, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for text in messages_of(error):
                messages.error(request, text)
        else:
            messages.success(
                request,
                _(
                    "%(judge)s has left the panel; their scores stay. Run the automatic assignment again to give "
                    "their unscored entries to other judges."
                )
                % {"judge": name},
            )
    return _panel_redirect(competition, round)


@staff_page
@require_POST
def panel_expertise(request, slug, round_id, membership_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    membership = _membership(round, membership_id)
    name = membership.judge.display_name or membership.judge.email
    form = ExpertiseForm(request.POST, units=round_units(round))
    if not form.is_valid():
        messages.error(request, _("Choose units of this round only; nothing was changed."))
    else:
        try:
            panels.set_expertise(membership=membership, units=list(form.cleaned_data["expertise"]), actor=request.user)
        except ValidationError as error:
            for text in messages_of(error):
                messages.error(request, text)
        else:
            messages.success(request, _("The unit expertise of %(judge)s has been saved.") % {"judge": name})
    return _panel_redirect(competition, round)


def _invitation(round, invitation_id):
    return get_object_or_404(round.invitations, pk=invitation_id)


def _act_on_open_invitation(request, slug, round_id, invitation_id, *, action, success):
    """Revoke or resend: only while the invitation is open; the service's refusal shown as a message."""
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    invitation = _invitation(round, invitation_id)
    if invitation.accepted_at or invitation.revoked_at:
        messages.info(request, _("The invitation to %(email)s is no longer open.") % {"email": invitation.email})
    else:
        try:
            action(invitation=invitation, actor=request.user)
        except ValidationError as error:
            for text in messages_of(error):
                messages.error(request, text)
        else:
            messages.success(request, success % {"email": invitation.email})
    return _panel_redirect(competition, round)


@staff_page
@require_POST
def invitation_revoke(request, slug, round_id, invitation_id):
    return _act_on_open_invitation(
        request, slug, round_id, invitation_id,
        action=invitation_services.revoke_invitation,
        success=_("The invitation to %(email)s has been revoked; its link no longer works."),
    )


@staff_page
@require_POST
def invitation_resend(request, slug, round_id, invitation_id):
    return _act_on_open_invitation(
        request, slug, round_id, invitation_id,
        action=invitation_services.resend_invitation,
        success=_("The invitation has been sent to %(email)s again, with a new link."),
    )


# --- Conflicts ------------------------------------------------------------------------------------------------


@staff_page
def conflicts(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    judges = list(competition_judges(competition))
    form = ConflictFilterForm(request.GET, judges=judges)
    rows, declarations = form.filter(
        Conflict.objects.filter(competition=competition),
        ConflictDeclaration.objects.filter(competition=competition),
    )
    rows = rows.select_related("judge", "entry", "waived_by").order_by(
        "judge__display_name", "judge__email", "entry__number", "pk"
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    declarations = declarations.select_related("judge", "entry").order_by("judge__display_name", "judge__email", "pk")
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/conflicts.html",
            {
                "competition": competition,
                "form": form,
                "page": page,
                "declarations": list(declarations),
                "filter_query": form.querystring(),
                "has_conflicts": bool(page.object_list) or Conflict.objects.filter(competition=competition).exists(),
                "detected": ConflictSource.DETECTED,
                "reason_max_length": ReasonForm.base_fields["reason"].max_length,
            },
        )


def _conflicts_redirect(request, competition):
    """Back to the list with the filters and page the form came from (only keys the list reads are kept)."""
    url = reverse("judging:conflicts", args=[competition.slug])
    sent = QueryDict(request.POST.get("next_query", ""))
    query = QueryDict(mutable=True)
    for key in (*CONFLICT_FILTER_KEYS, "page"):
        value = sent.get(key, "")
        if value and len(value) <= 40:
            query[key] = value
    return redirect(f"{url}?{query.urlencode()}" if query else url)


@staff_page
@require_POST
def conflicts_detect(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    found = conflict_services.detect_conflicts(competition=competition)
    if found:
        text = ngettext(
            "Detection found %(count)s new conflict of interest.",
            "Detection found %(count)s new conflicts of interest.",
            found,
        ) % {"count": found}
    else:
        text = _("Detection found no new conflicts of interest.")
    messages.success(request, text)
    return redirect("judging:conflicts", slug=competition.slug)


@staff_page
@require_POST
def conflict_waive(request, slug, conflict_id):
    competition = get_competition_for_organizer(request.user, slug)
    conflict = get_object_or_404(
        Conflict.objects.select_related("judge", "entry"), pk=conflict_id, competition=competition
    )
    form = ReasonForm(request.POST)
    if conflict.source != ConflictSource.DETECTED:
        messages.error(request, _("A conflict the judge declared cannot be waived."))
    elif conflict.waived_at:
        messages.info(request, _("This conflict is already waived."))
    elif not form.is_valid():
        messages.error(request, _("Give the reason for the waiver; nothing was changed."))
    else:
        try:
            conflict_services.waive_conflict(conflict=conflict, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for text in messages_of(error):
                messages.error(request, text)
        else:
            messages.success(
                request,
                _("The conflict of %(judge)s with %(entry)s is waived: they may now judge it.")
                % {"judge": conflict.judge, "entry": conflict.entry.number or conflict.entry.title},
            )
    return _conflicts_redirect(request, competition)


@staff_page
@require_POST
def conflict_unwaive(request, slug, conflict_id):
    competition = get_competition_for_organizer(request.user, slug)
    conflict = get_object_or_404(
        Conflict.objects.select_related("judge", "entry"), pk=conflict_id, competition=competition
    )
    form = ReasonForm(request.POST)
    if not conflict.waived_at:
        messages.info(request, _("This conflict is not waived."))
    elif not form.is_valid():
        messages.error(request, _("Give the reason for revoking the waiver; nothing was changed."))
    else:
        try:
            conflict_services.revoke_waiver(conflict=conflict, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for text in messages_of(error):
                messages.error(request, text)
        else:
            messages.success(
                request,
                _("The waiver is revoked: %(judge)s is barred from %(entry)s again.")
                % {"judge": conflict.judge, "entry": conflict.entry.number or conflict.entry.title},
            )
    return _conflicts_redirect(request, competition)
