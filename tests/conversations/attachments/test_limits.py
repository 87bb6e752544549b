"""Over-limit uploads are refused early: by Content-Length before a byte is read,
and by the upload handler as soon as one file passes 100 MB."""

from __future__ import annotations

import io
import json

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from conversations.attachment_apis import AttachmentSendApi
from conversations.attachments import MAX_ATTACHMENT_BYTES
from conversations.models import Attachment, Message

pytestmark = pytest.mark.django_db

BOUNDARY = "limit-test-boundary"
MB = 1024 * 1024


class CountingBody(io.RawIOBase):
    """A multipart body of one file, produced lazily and counted as it is read."""

    def __init__(self, file_size: int) -> None:
        self.head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="files"; filename="huge.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.file_size = file_size
        self.total = len(self.head) + file_size - 9 + len(self.tail)
        self.position = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.total - self.position
        size = min(size, self.total - self.position)
        start, self.position = self.position, self.position + size
        out = bytearray()
        for index in range(start, start + size):
            if index < len(self.head):
                out.append(self.head[index])
            elif index >= self.total - len(self.tail):
                out.append(self.tail[index - (self.total - len(self.tail))])
            else:
                break
        if len(out) < size:
            # The file's filler bytes, built in one go rather than byte by byte.
            filler = size - len(out)
            tail_start = self.total - len(self.tail)
            body_end = min(start + size, tail_start)
            zeros = max(0, body_end - max(start, len(self.head)))
            out += bytes(zeros)
            for index in range(max(start, tail_start), start + size):
                out.append(self.tail[index - tail_start])
            assert len(out) == size, (len(out), size, filler)
        return bytes(out)

    def readline(self, size: int = -1) -> bytes:  # not used by the parser
        return self.read(size)


def request_for(
    conversation, agent, body: CountingBody, content_length: int
) -> WSGIRequest:
    token, _ = Token.objects.get_or_create(user=agent)
    environ = RequestFactory()._base_environ(
        PATH_INFO=f"/api/v1/conversations/{conversation.id}/attachments/",
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(content_length),
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    environ["wsgi.input"] = body
    return WSGIRequest(environ)


def call(request: WSGIRequest, conversation) -> tuple[int, dict]:
    response = AttachmentSendApi.as_view()(request, conversation_id=conversation.id)
    response.render()
    request.close()  # what the handler does at the end of a request

    return response.status_code, json.loads(response.content)


def test_declared_length_over_the_limit_is_refused_before_reading(conversation, agent):
    body = CountingBody(file_size=2 * MB)
    request = request_for(conversation, agent, body, content_length=5 * 1024 * MB)
    status, data = call(request, conversation)
    assert status == 413
    assert data["error"]["code"] == "file_too_large"
    assert body.position == 0


def test_one_file_over_100_mb_is_refused_before_it_is_read_whole(conversation, agent):
    body = CountingBody(file_size=MAX_ATTACHMENT_BYTES + 50 * MB)
    request = request_for(conversation, agent, body, content_length=body.total)
    status, data = call(request, conversation)
    assert status == 413, data
    assert data["error"]["code"] == "file_too_large"
    assert "huge.pdf" in data["error"]["message"]
    # The parser stopped just past the limit, 50 MB short of the end.
    assert body.position < MAX_ATTACHMENT_BYTES + 2 * MB
    assert body.position < body.total
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()


def test_a_file_of_exactly_100_mb_is_accepted_by_the_handler(
    conversation, agent, apple_gateway
):
    body = CountingBody(file_size=MAX_ATTACHMENT_BYTES)
    request = request_for(conversation, agent, body, content_length=body.total)
    status, data = call(request, conversation)
    assert status == 201, data
    assert data["attachments"][0]["size"] == MAX_ATTACHMENT_BYTES
