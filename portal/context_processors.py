from django.conf import settings


def portal(request):
    return {"staff_mfa_required": settings.STAFF_MFA_REQUIRED, "debug_mode": settings.DEBUG}
