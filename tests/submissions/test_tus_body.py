"""How a PATCH body reaches the staging file: spliced in the kernel from gunicorn's socket, or read in pieces.

The splice path is what production (gunicorn) uses, so it is tested here with gunicorn's own request-body
classes over a real loopback TCP connection: what gunicorn had already read ahead with the headers comes first,
a cut connection keeps what arrived, and gunicorn is told how much of the body is gone.
"""

import io
import os
import socket
import threading

import pytest
from django.core.handlers.wsgi import WSGIRequest
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader

from submissions import tus
from submissions.models import VideoFile
from tests.factories import EntryFactory
from tests.submissions.tus_support import sha256, stored_path

pytestmark = pytest.mark.skipif(not hasattr(os, "splice"), reason="os.splice needs Linux and Python 3.10+")

MIB = 1024 * 1024


@pytest.fixture
def connection():
    """(client socket, server socket): a real TCP connection on loopback."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    yield client, server
    client.close()
    server.close()


def gunicorn_request(server_sock, content_length, read_ahead=b""):
    """A Django request as gunicorn hands it over: wsgi.input is gunicorn's Body; part of the body may already be
    in the unreader's buffer (read together with the headers)."""
    unreader = SocketUnreader(server_sock)
    if read_ahead:
        unreader.unread(read_ahead)
    body = Body(LengthReader(unreader, content_length))
    environ = {
        "REQUEST_METHOD": "PATCH", "PATH_INFO": "/uploads/tus/x", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "wsgi.url_scheme": "http", "wsgi.input": body, "wsgi.input_terminated": True,
        "CONTENT_LENGTH": str(content_length), "CONTENT_TYPE": tus.OFFSET_CONTENT_TYPE, "gunicorn.socket": server_sock,
    }
    return WSGIRequest(environ), body


def send_later(sock, data, close=False):
    def run():
        sock.sendall(data)
        if close:
            sock.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_whole_body_is_spliced_after_the_read_ahead(connection, tmp_path):
    client, server = connection
    data = os.urandom(5 * MIB + 3)
    request, body = gunicorn_request(server, len(data), read_ahead=data[:6000])
    source = tus.request_body(request, len(data))
    assert isinstance(source, tus.SplicedBody)
    sender = send_later(client, data[6000:])
    fd = os.open(tmp_path / "staged", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        assert source.copy_to(fd, len(data)) == len(data)
    finally:
        os.close(fd)
    sender.join()
    assert (tmp_path / "staged").read_bytes() == data
    assert body.read() == b""  # gunicorn sees the body as consumed...
    assert body.failed is False  # ...and the connection as reusable


def test_a_cut_connection_keeps_what_arrived_and_marks_the_connection_unusable(connection, tmp_path):
    client, server = connection
    data = os.urandom(3 * MIB)
    request, body = gunicorn_request(server, 2 * len(data), read_ahead=data[:100])
    sender = send_later(client, data[100:], close=True)
    fd = os.open(tmp_path / "staged", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        copied = tus.request_body(request, 2 * len(data)).copy_to(fd, 2 * len(data))
    finally:
        os.close(fd)
    sender.join()
    assert copied == len(data)
    assert (tmp_path / "staged").read_bytes() == data
    assert body.failed is True


def test_a_finished_upload_through_the_splice_path(connection, unit, charlie, settings, tmp_path, db):
    settings.UPLOAD_STAGING_DIR = tmp_path / "uploads"
    client, server = connection
    entry = EntryFactory(unit=unit, owner=charlie)
    data = os.urandom(2 * MIB + 11)
    upload = tus.create_upload(
        user=charlie, length=len(data), metadata={"entry": str(entry.pk), "slot": "full", "filename": "full.mp4"}
    )
    for start, end in ((0, MIB), (MIB, len(data))):
        request, _ = gunicorn_request(server, end - start, read_ahead=data[start : start + 10])
        sender = send_later(client, data[start + 10 : end])
        upload = tus.write_chunk(
            upload=upload, user=charlie, body=tus.request_body(request, end - start), offset=start,
            content_length=end - start,
        )
        sender.join()
        assert upload.offset == end
    video = VideoFile.objects.get(entry=entry, slot="full")
    assert sha256(stored_path(video)) == sha256(data)


def test_other_servers_and_other_bodies_are_read_as_a_stream(connection):
    client, server = connection
    request, _ = gunicorn_request(server, 100)
    assert isinstance(tus.request_body(request, None), tus.StreamBody)  # chunked: read wsgi.input to its end
    assert isinstance(tus.request_body(request, 0), tus.StreamBody)
    client.sendall(b"x" * 100)
    assert request.read(1) == b"x"  # something was read already: splicing would skip it
    assert isinstance(tus.request_body(request, 100), tus.StreamBody)

    plain, _ = gunicorn_request(server, 100)
    plain.environ["gunicorn.socket"] = None  # not gunicorn (runserver, uwsgi, ...)
    assert isinstance(tus.request_body(plain, 100), tus.StreamBody)


def test_the_stream_reader_keeps_what_arrived_when_the_connection_breaks(tmp_path):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            data = super().read(size)
            if not data:
                raise ConnectionResetError("peer went away")
            return data

    fd = os.open(tmp_path / "staged", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        assert tus.StreamBody(Broken(b"x" * 1000)).copy_to(fd, 5000) == 1000
    finally:
        os.close(fd)
    assert (tmp_path / "staged").read_bytes() == b"x" * 1000
