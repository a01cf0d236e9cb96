"""The signed-in user's own account: profile and language."""

from allauth.mfa.totp.views import ActivateTOTPView
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from portal import services
from portal.access import AFTER_MFA_SESSION_KEY
from portal.forms import AccountForm, ProfileForm


@login_required
def profile(request):
    profile = services.get_profile(request.user)
    if request.method == "POST":
        account_form = AccountForm(request.POST, instance=request.user, prefix="account")
        profile_form = ProfileForm(request.POST, instance=profile, prefix="profile")
        if account_form.is_valid() and profile_form.is_valid():
            account_form.save()
            profile_form.save()
            messages.success(request, _("Your profile has been saved."))
            response = redirect("portal:profile")
            if request.user.language:
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, request.user.language,
                                    max_age=settings.LANGUAGE_COOKIE_AGE, samesite=settings.LANGUAGE_COOKIE_SAMESITE)
            return response
        messages.error(request, _("Please correct the marked fields."))
    else:
        account_form = AccountForm(instance=request.user, prefix="account")
        profile_form = ProfileForm(instance=profile, prefix="profile")
    return render(request, "portal/profile.html", {"account_form": account_form, "profile_form": profile_form})


@require_POST
def set_language(request):
    """Django's language switch, remembered on the account as well as in the cookie."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if language in dict(settings.LANGUAGES):
        services.set_language(user=request.user, language=language)
    return response


class ActivateTOTPThenContinue(ActivateTOTPView):
    """allauth's authenticator set-up, which then returns a judge or organizer to the page that asked for it
    (allauth itself always goes on to the recovery codes); the message says where the codes are."""

    def get_success_url(self):
        after = self.request.session.pop(AFTER_MFA_SESSION_KEY, None)
        if after and url_has_allowed_host_and_scheme(after, allowed_hosts={self.request.get_host()}):
            messages.success(
                self.request,
                _("Two-factor authentication is on. Keep your recovery codes safe: you find them under Security."),
            )
            return after
        return super().get_success_url()


activate_totp = ActivateTOTPThenContinue.as_view()
