"""Resumable video uploads with the tus protocol, version 1.0.0: core, creation, termination and expiration.

    POST   /uploads/tus/         creation: Upload-Length + Upload-Metadata (entry, slot, filename[, filetype])
    HEAD   /uploads/tus/<uuid>   where the upload stands: Upload-Offset, Upload-Length
    PATCH  /uploads/tus/<uuid>   bytes at Upload-Offset (Content-Type: application/offset+octet-stream)
    DELETE /uploads/tus/<uuid>   termination

Everything that decides whether an upload may start is checked at creation, before any byte is stored: the entry
is the user's to edit, it is not locked, the slot exists for it, the size is within TUS_MAX_SIZE and within the
entry's quota. The entry is checked again on every PATCH and when the last byte arrives (a deadline can pass, a
co-owner can be removed, two uploads can race for the quota); the entry row is locked only for that last step.

The staging file (UPLOAD_STAGING_DIR/<uuid>) is the truth about the offset: its size is what has been written,
so a connection cut mid-body, or a web process killed mid-PATCH, leaves an offset that the client resumes from.
Until the upload is finished, the offset reported is at most Upload-Length - 1, so that a client only ever sees
offset == length once the video is registered; if registering fails, the client sends the last byte again and
finishing is retried. One PATCH at a time per upload: each holds an exclusive flock on the staging file.

Bodies stream to the file with flat memory: under gunicorn on Linux spliced from the socket inside the kernel
(SplicedBody), otherwise read READ_SIZE at a time (StreamBody). Each PATCH starts the write-back of its bytes; the
last one fsyncs the file before the video is registered. The database is written at creation, at the end, and at
most every EXPIRY_REFRESH in between (the expiry slides with activity), never per chunk.
"""

import base64
import binascii
import contextlib
import fcntl
import logging
import os
import re
import socket
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _

from submissions.access import get_entry_for_entrant
from submissions.materials import clean_filename
from submissions.models import Entry, Upload, VideoFile
from submissions.services import lock_reason
from submissions.videos import quota_left, register_video, slot_allowed

logger = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
# How much of a PATCH body is read from the request at a time: large enough that the per-read overhead is small,
# small enough that a web process's memory stays flat whatever the file size (see bench/upload_bench.py).
READ_SIZE = 4 * 1024 * 1024
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
ORPHAN_MAX_AGE = timedelta(days=1)
EXPIRY_REFRESH = timedelta(minutes=5)
METADATA_MAX_KEYS = 16
METADATA_VALUE_MAX_CHARS = 1000
DIGITS = re.compile(r"^[0-9]{1,19}$")
METADATA_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


class TusError(Exception):
    """A refusal: the HTTP status, a message for the user (translated) and any extra response headers."""

    def __init__(self, status, message="", headers=None):
        super().__init__(message)
        self.status = status
        self.message = str(message)
        self.headers = headers or {}


# ------------------------------------------------------------------------------------------------ protocol parsing


def parse_upload_length(value):
    """Upload-Length as an int; TusError 400 if missing or not a non-negative integer, 413 if over TUS_MAX_SIZE."""
    value = (value or "").strip()
    if not value:
        raise TusError(400, _("Upload-Length is missing."))
    if not value.isascii() or not value.isdigit():
        raise TusError(400, _("Upload-Length must be a whole number of bytes."))
    if len(value) > 19 or int(value) > settings.TUS_MAX_SIZE:  # also keeps absurd lengths out of int arithmetic
        raise TusError(413, too_large_message())
    return int(value)


def parse_offset(value):
    """Upload-Offset of a PATCH as an int; TusError 400 if missing or not a non-negative integer."""
    value = (value or "").strip()
    if not DIGITS.match(value):
        raise TusError(400, _("Upload-Offset is missing or is not a whole number of bytes."))
    return int(value)


def parse_metadata(header):
    """Upload-Metadata -> {key: value}: comma-separated `key base64(value)` pairs; the value may be left out.

    Keys must be unique and plain; values must be valid base64 of UTF-8 text. Anything else is a 400.
    """
    metadata = {}
    header = (header or "").strip()
    if not header:
        return metadata
    pairs = header.split(",")
    if len(pairs) > METADATA_MAX_KEYS:
        raise TusError(400, _("Upload-Metadata has too many keys."))
    for pair in pairs:
        parts = pair.strip().split(" ")
        if len(parts) > 2 or not METADATA_KEY.match(parts[0]):
            raise TusError(400, _("Upload-Metadata is malformed."))
        key = parts[0]
        if key in metadata:
            raise TusError(400, _("Upload-Metadata names a key twice."))
        encoded = parts[1] if len(parts) == 2 else ""
        try:
            value = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise TusError(400, _("Upload-Metadata values must be base64-encoded UTF-8 text.")) from None
        if len(value) > METADATA_VALUE_MAX_CHARS:
            raise TusError(400, _("An Upload-Metadata value is too long."))
        if "\x00" in value:  # no file name has one, and PostgreSQL cannot store it in the metadata (jsonb)
            raise TusError(400, _("Upload-Metadata values cannot contain NUL characters."))
        metadata[key] = value
    return metadata


def encode_metadata(metadata):
    """The Upload-Metadata header for a stored metadata dict (HEAD repeats what the client sent)."""
    return ",".join(
        f"{key} {base64.b64encode(str(value).encode()).decode('ascii')}" if value else key
        for key, value in metadata.items()
    )


def expires_header(moment):
    """Upload-Expires: an RFC 7231 (IMF-fixdate) date."""
    return http_date(moment.timestamp())


def too_large_message():
    return _("The file is larger than the limit of %(limit)s per file.") % {
        "limit": filesizeformat(settings.TUS_MAX_SIZE)
    }


def options_headers():
    return {
        "Tus-Resumable": TUS_VERSION,
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": TUS_EXTENSIONS,
        "Tus-Max-Size": str(settings.TUS_MAX_SIZE),
    }


# --------------------------------------------------------------------------------------------------- staging files


def staging_path(upload_id) -> Path:
    return Path(settings.UPLOAD_STAGING_DIR) / str(uuid.UUID(str(upload_id)))


def reported_offset(upload, size):
    """The offset a client is told: bytes on disk, but never the full length before the upload is finished."""
    if upload.completed_at:
        return upload.length
    return min(size, upload.length - 1)


def _try_lock(fd):
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlink(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _discard(upload):
    """Delete an unfinished upload's row and staging file, unless a PATCH is writing to it right now."""
    path = staging_path(upload.pk)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        Upload.objects.filter(pk=upload.pk, completed_at__isnull=True).delete()
        return True
    try:
        if not _try_lock(fd):
            return False
        # The row goes first, while the lock is held: a PATCH that gets the lock afterwards finds no row.
        Upload.objects.filter(pk=upload.pk, completed_at__isnull=True).delete()
        _unlink(path)
        return True
    finally:
        os.close(fd)


# -------------------------------------------------------------------------------------------------------- services


def get_upload_for_user(user, upload_id) -> Upload:
    """The user's own upload; another user's, or an unknown id, is 404. An expired one is discarded: 410."""
    upload = None
    if user.is_authenticated:
        # Only its creator sees an upload, and only while they may still edit its entry (a removed co-owner may not).
        upload = Upload.objects.filter(pk=upload_id, user=user, entry__in=Entry.objects.editable_by(user)).first()
    if upload is None:
        raise TusError(404, _("There is no such upload."))
    if upload.completed_at is None and upload.expires_at <= timezone.now():
        _discard(upload)
        raise TusError(410, _("This upload has expired; please start it again."))
    return upload


def _editable_entry(user, entry_id):
    """The entry if the user may edit it and it is not locked: 404 for what they may not know, 403 if locked."""
    try:
        entry = get_entry_for_entrant(user, entry_id)
    except Http404:
        raise TusError(404, _("There is no such entry.")) from None
    reason = lock_reason(entry)
    if reason:
        raise TusError(403, reason)
    return entry


def _reserved_bytes(entry, slot, now):
    """Bytes promised to the entry's other unfinished uploads (other slots; one per slot will win)."""
    pending = Upload.objects.filter(entry=entry, completed_at__isnull=True, expires_at__gt=now).exclude(slot=slot)
    return pending.aggregate(total=Sum("length"))["total"] or 0


def create_upload(*, user, length, metadata) -> Upload:
    """Creation: check everything that decides whether this upload may happen, then an empty staging file."""
    entry_id = metadata.get("entry") or ""
    slot = metadata.get("slot") or ""
    if not entry_id or not slot:
        raise TusError(400, _("Upload-Metadata must name the entry and the slot."))
    if not DIGITS.match(entry_id):
        raise TusError(404, _("There is no such entry."))
    entry = _editable_entry(user, int(entry_id))
    if not slot_allowed(entry, slot):
        raise TusError(400, _("This entry has no video slot “%(slot)s”.") % {"slot": slot[:32]})
    if length == 0:
        raise TusError(400, _("The file is empty."))
    now = timezone.now()
    left = quota_left(entry, slot) - _reserved_bytes(entry, slot, now)
    if length > left:
        raise TusError(
            413,
            _("This file (%(size)s) does not fit in the entry's remaining video space (%(left)s).")
            % {"size": filesizeformat(length), "left": filesizeformat(max(left, 0))},
        )
    staging = Path(settings.UPLOAD_STAGING_DIR)
    staging.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        upload = Upload.objects.create(
            user=user,
            entry=entry,
            slot=slot,
            filename=clean_filename(metadata.get("filename") or "")[:200],
            length=length,
            metadata=metadata,
            expires_at=now + timedelta(hours=settings.UPLOAD_EXPIRE_HOURS),
        )
        os.close(os.open(staging_path(upload.pk), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    logger.info("upload %s created: entry %s %s, %s bytes, by user %s", upload.pk, entry.pk, slot, length, user.pk)
    return upload


def current_offset(*, upload) -> int:
    """HEAD: the offset to resume from (the length, once the upload is finished)."""
    if upload.completed_at:
        return upload.length
    try:
        size = os.stat(staging_path(upload.pk)).st_size
    except FileNotFoundError:
        _discard(upload)
        raise TusError(410, _("This upload has expired; please start it again.")) from None
    return reported_offset(upload, size)


class StreamBody:
    """A PATCH body read from a file-like stream (the WSGI request), READ_SIZE at a time: memory stays flat."""

    def __init__(self, stream):
        self.stream = stream

    def copy_to(self, fd, limit):
        """Copy up to `limit` bytes to fd; the count that arrived.

        A client that goes away mid-body ends the copy early (a short read or a connection error): whatever
        arrived stays written, and the client resumes from there.
        """
        copied = 0
        while copied < limit:
            try:
                data = self.stream.read(min(READ_SIZE, limit - copied))
            except OSError:  # includes Django's UnreadablePostError: the connection broke
                break
            if not data:
                break
            _write_all(fd, data)
            copied += len(data)
        return copied


class SplicedBody:
    """A PATCH body moved from gunicorn's client socket to the staging file inside the kernel (Linux splice).

    Reading the body through WSGI costs several copies per byte in Python and reaches a fraction of what `cp`
    does on the same disk; splice() through a pipe reaches nearly all of it (bench/upload_bench.py). Used only
    when it is safe: a plain blocking TCP socket (not TLS, not gevent), a Content-Length, and nothing of the body
    read yet. Whatever gunicorn had already read ahead is written first.
    """

    PIPE_SIZE = 1024 * 1024

    def __init__(self, sock, body, content_length):
        self.sock, self.body, self.content_length = sock, body, content_length

    @classmethod
    def for_request(cls, request, content_length):
        environ = request.environ
        sock, body = environ.get("gunicorn.socket"), environ.get("wsgi.input")
        reader = getattr(body, "reader", None)
        unreader = getattr(reader, "unreader", None)
        usable = (
            hasattr(os, "splice")
            and content_length
            and type(sock) is socket.socket  # noqa: E721 (exactly: an SSLSocket or a gevent socket will not do)
            and sock.gettimeout() is None
            and not getattr(request, "_read_started", True)
            and type(reader).__name__ == "LengthReader"
            and getattr(reader, "length", None) == content_length
            and hasattr(unreader, "take_buffered")
            and hasattr(unreader, "unread")
            and getattr(getattr(body, "buf", None), "tell", lambda: 1)() == 0
        )
        return cls(sock, body, content_length) if usable else None

    def copy_to(self, fd, limit):
        reader, unreader = self.body.reader, self.body.reader.unreader
        limit = min(limit, self.content_length)
        buffered = unreader.take_buffered()
        if len(buffered) > limit:
            unreader.unread(buffered[limit:])
            buffered = buffered[:limit]
        _write_all(fd, buffered)
        copied = len(buffered)
        read_fd, write_fd = os.pipe()
        try:
            with contextlib.suppress(OSError):
                fcntl.fcntl(write_fd, F_SETPIPE_SZ, self.PIPE_SIZE)
            while copied < limit:
                try:
                    moved = os.splice(self.sock.fileno(), write_fd, min(self.PIPE_SIZE, limit - copied))
                except OSError:  # the connection broke
                    break
                if not moved:
                    break  # the client went away
                drained = 0
                while drained < moved:
                    drained += os.splice(read_fd, fd, moved - drained)
                copied += moved
        finally:
            os.close(read_fd)
            os.close(write_fd)
            # Tell gunicorn how much of the body is gone; a short body leaves the connection unusable.
            reader.length -= copied
            if copied < self.content_length:
                self.body.failed = True
        return copied


def request_body(request, content_length):
    """The body of a PATCH request: spliced from gunicorn's socket where possible, else read from the stream.

    `content_length` None means a chunked body, which only a server that ends wsgi.input at the last chunk
    (gunicorn) can give: it is read from wsgi.input directly, as Django's own stream needs a Content-Length.
    """
    if content_length is None:
        return StreamBody(request.environ["wsgi.input"])
    return SplicedBody.for_request(request, content_length) or StreamBody(request)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_chunk(*, upload, user, body, offset, content_length) -> Upload:
    """PATCH: append the body at `offset`; finish the upload when the last byte has arrived.

    `body` is a StreamBody or SplicedBody (see request_body); `content_length` is None for a chunked body (read
    until its end, but never past Upload-Length).
    Returns the upload with `offset` set to the new reported offset.
    """
    _editable_entry(user, upload.entry_id)
    if upload.completed_at:
        return _patch_finished(upload, offset, content_length)
    path = staging_path(upload.pk)
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        raise TusError(404, _("There is no such upload.")) from None
    try:
        if not _try_lock(fd):
            raise TusError(423, _("Another request is writing to this upload; try again in a moment."))
        upload = Upload.objects.filter(pk=upload.pk).first()  # as it is now that the lock is ours
        if upload is None:
            raise TusError(404, _("There is no such upload."))
        if upload.completed_at:
            return _patch_finished(upload, offset, content_length)
        current = reported_offset(upload, os.fstat(fd).st_size)
        if offset != current:
            raise TusError(
                409,
                _("Upload-Offset %(sent)s does not match the upload's offset %(offset)s.")
                % {"sent": offset, "offset": current},
                {"Upload-Offset": str(current)},
            )
        room = upload.length - current
        if content_length is not None and content_length > room:
            raise TusError(413, _("The request carries more bytes than the upload has left."))
        os.ftruncate(fd, current)  # drops a last byte written before a failed finish (see reported_offset)
        os.lseek(fd, current, os.SEEK_SET)
        limit = content_length if content_length is not None else room + 1
        try:
            written = body.copy_to(fd, limit)
        except OSError:  # writing failed (the disk is full?): keep what is on disk, refuse the rest
            logger.exception("upload %s: could not write to the staging file", upload.pk)
            size = min(os.fstat(fd).st_size, upload.length - 1)
            Upload.objects.filter(pk=upload.pk).update(offset=size)
            raise TusError(
                507, _("The server could not store the file just now. Please try again later."),
                {"Upload-Offset": str(size)},
            ) from None
        if written > room:  # a chunked body that ran past Upload-Length: nothing of it is kept
            os.ftruncate(fd, current)
            raise TusError(413, _("The request carries more bytes than the upload has left."))
        size = current + written
        if written:
            # Start writing this PATCH's bytes to disk now (asynchronously), and let the page cache drop the previous
            # PATCH's, written meanwhile: the final fsync then waits for little, and a 10 GiB upload does not crowd
            # the page cache. (Only the last two PATCHes' range: walking the whole file each time costs.)
            start = max(0, current - written)
            with contextlib.suppress(OSError, AttributeError):
                os.posix_fadvise(fd, start, current + written - start, os.POSIX_FADV_DONTNEED)
        # The expiry slides with each PATCH, but the row is written at most every EXPIRY_REFRESH: a database commit
        # per chunk costs more than it tells (on ext4 it even waits for this file's data to reach the disk). The
        # row's `offset` is therefore only a recent figure; the staging file's size is the offset.
        expires_at = timezone.now() + timedelta(hours=settings.UPLOAD_EXPIRE_HOURS)
        if expires_at - upload.expires_at >= EXPIRY_REFRESH:
            Upload.objects.filter(pk=upload.pk).update(offset=size, expires_at=expires_at)
            upload.offset, upload.expires_at = size, expires_at
        if size == upload.length:
            os.fsync(fd)  # on disk before the video row says it is there (earlier PATCHes rely on the file size)
            finish(upload=upload, actor=user)
        upload.offset = reported_offset(upload, size)
        return upload
    finally:
        os.close(fd)  # releases the lock


def _patch_finished(upload, offset, content_length):
    if offset != upload.length:
        raise TusError(
            409,
            _("This upload is already complete."),
            {"Upload-Offset": str(upload.length)},
        )
    if content_length:
        raise TusError(413, _("The request carries more bytes than the upload has left."))
    upload.offset = upload.length
    return upload


def finish(*, upload, actor) -> VideoFile:
    """The last byte is in: check the entry once more (row locked briefly), then register the video.

    A locked entry or a quota overrun discards the upload (403/413). If registering fails for another reason the
    staged file stays, the offset reported stays at length - 1, and the client's retry of the last byte finishes.
    """
    path = staging_path(upload.pk)
    refusal = video = None
    try:
        with transaction.atomic():
            entry = Entry.objects.select_for_update().select_related("competition", "unit", "track").get(
                pk=upload.entry_id
            )
            reason = lock_reason(entry)
            if reason:
                refusal = TusError(403, reason)
            elif upload.length > quota_left(entry, upload.slot):
                refusal = TusError(
                    413,
                    _("This file (%(size)s) no longer fits in the entry's remaining video space (%(left)s).")
                    % {"size": filesizeformat(upload.length), "left": filesizeformat(quota_left(entry, upload.slot))},
                )
            else:
                video = register_video(
                    entry=entry,
                    slot=upload.slot,
                    source_path=str(path),
                    original_name=upload.filename,
                    size=upload.length,
                    actor=actor,
                )
                now = timezone.now()
                Upload.objects.filter(pk=upload.pk).update(offset=upload.length, completed_at=now, video=video)
                upload.completed_at, upload.video, upload.offset = now, video, upload.length
    except Exception:
        logger.exception("upload %s: the finished file could not be registered", upload.pk)
        committed = Upload.objects.filter(pk=upload.pk, completed_at__isnull=False).select_related("video").first()
        if committed is None:
            raise TusError(503, _("The file arrived but could not be stored. Please try again.")) from None
        # Registered and committed; only something queued on commit failed (the stall detector retries processing).
        upload.completed_at, upload.video, upload.offset = committed.completed_at, committed.video, upload.length
        return committed.video
    if refusal is not None:
        Upload.objects.filter(pk=upload.pk).delete()
        _unlink(path)  # our caller holds the lock on it
        raise refusal
    logger.info("upload %s finished: video %s", upload.pk, video.pk)
    return video


def terminate(*, upload) -> None:
    """DELETE: an unfinished upload goes with its bytes; a finished one just forgets the record (the video stays)."""
    if upload.completed_at:
        Upload.objects.filter(pk=upload.pk).delete()
        return
    if not _discard(upload):
        raise TusError(423, _("Another request is writing to this upload; try again in a moment."))


def expire_uploads(*, now=None) -> int:
    """Delete unfinished uploads past their expiry with their bytes, and staging files that have no upload.

    Returns how many uploads expired. An upload that a PATCH is writing to right now is left for the next run.
    """
    now = now or timezone.now()
    expired = 0
    for upload in Upload.objects.filter(completed_at__isnull=True, expires_at__lte=now).iterator():
        if _discard(upload):
            expired += 1
    staging = Path(settings.UPLOAD_STAGING_DIR)
    if staging.is_dir():
        unfinished = {str(pk) for pk in Upload.objects.filter(completed_at__isnull=True).values_list("pk", flat=True)}
        cutoff = (now - ORPHAN_MAX_AGE).timestamp()
        for path in staging.iterdir():
            try:
                name = str(uuid.UUID(path.name))
            except ValueError:
                continue  # not ours
            if name == path.name and name not in unfinished and path.is_file() and path.stat().st_mtime < cutoff:
                _unlink(path)
    if expired:
        logger.info("%s abandoned uploads expired", expired)
    return expired
