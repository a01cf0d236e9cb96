"""A judge's way in: the invitation link (accepting the judging terms), and the judge profile with declarations."""

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from judging import conflicts, invitations, panels
from judging.judge_forms import AcceptInvitationForm, DeclarationForm, JudgeProfileForm
from judging.models import ConflictDeclaration, Invitation, JudgeProfile
from portal.access import staff_page
from portal.models import Competition

INVALID_TEMPLATE = "judging/invitation_invalid.html"


def _invalid(request, reason, invitation=None, status=410):
    return render(request, INVALID_TEMPLATE, {"reason": reason, "invitation": invitation}, status=status)


def accept(request, token):
    """The link in the invitation email. Public: the token is the only credential the invitation carries."""
    invitation = (
        Invitation.objects.select_related("round__competition", "invited_by", "accepted_by").filter(token=token).first()
    )
    if invitation is None:
        return _invalid(request, "unknown", status=404)
    user = request.user
    if invitation.accepted_at is not None:
        if user.is_authenticated and invitation.accepted_by_id == user.pk:
            messages.info(request, _("You have already joined this jury."))
            return redirect("judging:queue", round_id=invitation.round_id)
        return _invalid(request, "used", invitation)
    if invitation.revoked_at is not None:
        return _invalid(request, "revoked", invitation)
    if invitation.expires_at <= timezone.now():
        return _invalid(request, "expired", invitation)

    here = request.get_full_path()
    context = {"invitation": invitation, "round": invitation.round, "competition": invitation.round.competition}
    if not user.is_authenticated:
        context["login_url"] = reverse("account_login") + "?" + urlencode({"next": here})
        context["signup_url"] = reverse("account_signup") + "?" + urlencode({"next": here, "email": invitation.email})
        return render(request, "judging/invitation.html", {**context, "step": "anonymous"})

    if not EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists():
        unverified = EmailAddress.objects.filter(user=user, email__iexact=invitation.email).exists()
        return render(
            request, "judging/invitation.html", {**context, "step": "wrong_address", "unverified": unverified}
        )

    profile = JudgeProfile.objects.filter(user=user).first()
    form = AcceptInvitationForm(request.POST or None, initial={"affiliations": profile.affiliations if profile else ""})
    if request.method == "POST" and form.is_valid():
        try:
            invitations.accept_invitation(
                invitation=invitation,
                user=user,
                affiliations=form.cleaned_data["affiliations"],
                accept_terms=form.cleaned_data["confidentiality"] and form.cleaned_data["conflicts"],
            )
        except invitations.InvitationError as error:
            return render(request, "judging/invitation.html", {**context, "step": "refused", "error": str(error)})
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Welcome to the jury of %(round)s, %(competition)s.")
                % {"round": invitation.round.name, "competition": invitation.round.competition.name},
            )
            return redirect("judging:queue", round_id=invitation.round_id)
    return render(request, "judging/invitation.html", {**context, "step": "accept", "form": form})


def _judged_competitions(user):
    return Competition.objects.filter(rounds__panel__judge=user).distinct().order_by("-edition_year", "name_zh")


@staff_page
def judge_profile(request):
    """Affiliations, bio and the judge's own conflict declarations (never the conflicts the portal detected)."""
    user = request.user
    if not user.panel_memberships.exists():
        raise Http404
    profile = JudgeProfile.objects.filter(user=user).first()
    competitions = _judged_competitions(user)
    action = request.POST.get("action") if request.method == "POST" else None
    profile_form = JudgeProfileForm(
        request.POST if action == "profile" else None,
        initial={"affiliations": profile.affiliations, "bio": profile.bio} if profile else None,
    )
    declaration_form = DeclarationForm(request.POST if action == "declare" else None, competitions=competitions)

    if action == "profile" and profile_form.is_valid():
        try:
            panels.update_judge_profile(
                user=user, affiliations=profile_form.cleaned_data["affiliations"], bio=profile_form.cleaned_data["bio"]
            )
        except ValidationError as error:
            for message in error.messages:
                profile_form.add_error(None, message)
        else:
            messages.success(request, _("Your judge profile has been saved."))
            return redirect("judging:judge_profile")
    elif action == "declare" and declaration_form.is_valid():
        data = declaration_form.cleaned_data
        try:
            conflicts.declare_conflict(
                competition=data["competition"],
                judge=user,
                kind=data["kind"],
                value=data["value"],
                reason=data["reason"],
            )
        except ValidationError as error:
            for message in error.messages:
                declaration_form.add_error(None, message)
        else:
            messages.success(
                request, _("Your declaration has been recorded. You will not be given works connected to it.")
            )
            return redirect("judging:judge_profile")

    declarations = (
        ConflictDeclaration.objects.filter(judge=user)
        .select_related("competition", "entry")
        .order_by("competition__name_zh", "-created_at")
    )
    return render(
        request,
        "judging/profile.html",
        {
            "profile_form": profile_form,
            "declaration_form": declaration_form,
            "declarations": declarations,
            "competitions": competitions,
        },
    )


@staff_page
@require_POST
def declaration_delete(request, declaration_id):
    declaration = get_object_or_404(ConflictDeclaration, pk=declaration_id, judge=request.user)
    try:
        conflicts.withdraw_declaration(declaration=declaration, judge=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your declaration has been withdrawn."))
    return redirect("judging:judge_profile")
