"""The signed-in user's own account: profile and language."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from portal import services
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
