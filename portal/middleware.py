from django.utils import translation


def user_language_middleware(get_response):
    """A signed-in user's saved language wins over the browser's and the cookie's, on every device."""

    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return get_response(request)

    return middleware
