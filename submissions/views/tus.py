"""The tus 1.0.0 endpoint (submissions/tus.py has the protocol and the services; README "Uploading videos").

Thin: check the protocol headers, the session and CSRF, call the service, answer with tus headers. Refusals are
plain-text, translated messages with the status the protocol asks for, never a redirect to the login page.

CSRF stays on, but it is checked here rather than by the middleware so that an anonymous client gets 401 rather
than a CSRF page: the same CsrfViewMiddleware check (token in X-CSRFToken; Origin, or Referer over HTTPS) runs
right after the session is found to be signed in.
"""

from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from submissions import tus

COLLECTION_METHODS = {"OPTIONS", "POST"}
UPLOAD_METHODS = {"OPTIONS", "HEAD", "PATCH", "DELETE"}
OVERRIDABLE = {"PATCH", "DELETE"}  # X-HTTP-Method-Override on a POST, for clients that cannot send these


def _response(status, message="", headers=None):
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = tus.TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def _csrf_failure(request):
    """The reason CSRF refuses this request, or None."""
    reason = _CsrfCheck(lambda request: None).process_view(request, None, (), {})
    return reason if isinstance(reason, str) else None


def _expiry(upload):
    return {} if upload.completed_at else {"Upload-Expires": tus.expires_header(upload.expires_at)}


@csrf_exempt
def tus_create(request):
    return _handle(request, None)


@csrf_exempt
def tus_upload(request, upload_id):
    return _handle(request, upload_id)


def _handle(request, upload_id):
    method = request.method
    override = request.headers.get("X-HTTP-Method-Override", "").strip().upper()
    if method == "POST" and upload_id is not None and override in OVERRIDABLE:
        method = override
    if method == "OPTIONS":
        response = _response(204, headers=tus.options_headers())
        del response["Content-Type"]
        return response
    allowed = COLLECTION_METHODS if upload_id is None else UPLOAD_METHODS
    if method not in allowed:
        return _response(405, _("Method not allowed."), {"Allow": ", ".join(sorted(allowed))})
    if request.headers.get("Tus-Resumable", "").strip() != tus.TUS_VERSION:
        return _response(
            412, _("This server speaks tus version %(version)s.") % {"version": tus.TUS_VERSION},
            {"Tus-Version": tus.TUS_VERSION},
        )
    if not request.user.is_authenticated:
        return _response(401, _("Please sign in first."), {"WWW-Authenticate": 'Session realm="Zhuiguang"'})
    if method == "PATCH" and request.content_type != tus.OFFSET_CONTENT_TYPE:
        return _response(415, _("A PATCH must have Content-Type: %(type)s.") % {"type": tus.OFFSET_CONTENT_TYPE})
    reason = _csrf_failure(request)
    if reason:
        return _response(403, _("The request was refused by the CSRF check (%(reason)s). Send the csrftoken cookie's "
                                "value in an X-CSRFToken header.") % {"reason": reason})
    try:
        if method == "POST":
            return _create(request)
        upload = tus.get_upload_for_user(request.user, upload_id)
        if method == "HEAD":
            return _head(upload)
        if method == "PATCH":
            return _patch(request, upload)
        tus.terminate(upload=upload)
        return _response(204)
    except tus.TusError as error:
        return _response(error.status, error.message, error.headers)


def _create(request):
    if "Upload-Defer-Length" in request.headers:
        raise tus.TusError(400, _("Upload-Defer-Length is not supported: give Upload-Length."))
    length = tus.parse_upload_length(request.headers.get("Upload-Length"))
    metadata = tus.parse_metadata(request.headers.get("Upload-Metadata"))
    upload = tus.create_upload(user=request.user, length=length, metadata=metadata)
    location = request.build_absolute_uri(reverse("submissions:tus_upload", args=[upload.pk]))
    return _response(201, headers={"Location": location, **_expiry(upload)})


def _head(upload):
    offset = tus.current_offset(upload=upload)
    headers = {"Upload-Offset": str(offset), "Upload-Length": str(upload.length), **_expiry(upload)}
    if upload.metadata:
        headers["Upload-Metadata"] = tus.encode_metadata(upload.metadata)
    return _response(200, headers=headers)


def _patch(request, upload):
    offset = tus.parse_offset(request.headers.get("Upload-Offset"))
    declared = request.META.get("CONTENT_LENGTH", "").strip()
    if declared:
        if not declared.isascii() or not declared.isdigit():
            raise tus.TusError(400, _("Content-Length is not a number."))
        content_length = int(declared)
    elif "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        if not request.environ.get("wsgi.input_terminated"):
            raise tus.TusError(411, _("This server needs a Content-Length on PATCH requests."))
        content_length = None  # the server ends wsgi.input at the last chunk
    else:
        content_length = 0
    upload = tus.write_chunk(
        upload=upload,
        user=request.user,
        body=tus.request_body(request, content_length),
        offset=offset,
        content_length=content_length,
    )
    return _response(204, headers={"Upload-Offset": str(upload.offset), **_expiry(upload)})
