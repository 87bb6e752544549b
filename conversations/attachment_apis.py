"""Attachment endpoints: multipart sending, retry, and the authorised file views.

Files are never at a public URL: every byte goes out through
``AttachmentFileApi`` after a membership check, streamed by ``FileResponse``.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import attachments, selectors
from .exceptions import NotFoundError
from .idempotency import idempotent
from .models import Attachment
from .serializers import MessageOutputSerializer
from .types import AuthenticatedRequest


class AttachmentSendApi(APIView):
    """``POST`` several ``files`` (and an optional ``text``) as one message."""

    parser_classes = [MultiPartParser]
    error_codes = {
        400: ["no_files", "too_many_files", "empty_file", "bad_text"],
        409: ["conversation_closed"],
        413: ["file_too_large"],
        415: ["file_type_not_allowed"],
    }

    class InputSerializer(serializers.Serializer):
        files = serializers.ListField(
            child=serializers.FileField(allow_empty_file=True),
            min_length=1,
            max_length=attachments.MAX_FILES_PER_MESSAGE,
        )
        text = serializers.CharField(
            required=False, allow_blank=True, trim_whitespace=False, default=""
        )
        auto_reply = serializers.BooleanField(
            default=False, help_text="true when a bot, not a person, sends it"
        )

        class Meta:
            ref_name = "AttachmentSendInput"

    def initialize_request(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> Request:
        # Before anything (CSRF included) parses the body: the handler spools
        # files to disk and stops reading at the first one over the limit.
        request.upload_handlers = [attachments.LimitedUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Refuse by the declared length before authentication reads the body.
        attachments.request_length_check(
            content_length=request.META.get("CONTENT_LENGTH")
        )
        super().initial(request, *args, **kwargs)

    @extend_schema(request=InputSerializer, responses={201: MessageOutputSerializer})
    @idempotent
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        data = self.InputSerializer(
            data={
                "files": request.FILES.getlist("files")
                or request.FILES.getlist("file"),
                "text": request.data.get("text", ""),
                "auto_reply": request.data.get("auto_reply", False),
            }
        )
        data.is_valid(raise_exception=True)
        conversation = selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        message = attachments.attachments_send(
            conversation=conversation,
            sender=request.user,
            files=data.validated_data["files"],
            text=data.validated_data["text"],
            auto_reply=data.validated_data["auto_reply"],
        )
        return Response(
            MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED
        )


class AttachmentRetryApi(APIView):
    error_codes = {409: ["not_failed"]}

    @extend_schema(request=None, responses=MessageOutputSerializer)
    @idempotent
    def post(self, request: AuthenticatedRequest, attachment_id: int) -> Response:
        attachment = attachments.attachment_get_for_user(
            user=request.user, attachment_id=attachment_id
        )
        message = attachments.attachment_retry(attachment=attachment)
        return Response(MessageOutputSerializer(message).data)


class _FileApi(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # <img> and <video> ask for image/* or video/*; the answer is the file.
        return super().perform_content_negotiation(request, force=True)

    def _respond(
        self, field_file: Any, attachment: Attachment, *, mime: str
    ) -> FileResponse:
        inline = attachments.shows_inline(mime)
        response = FileResponse(
            field_file.open("rb"),
            content_type=mime or "application/octet-stream",
            as_attachment=not inline,
            filename=attachment.name or "file",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=3600"
        if not inline:
            # Should a browser render it anyway, it gets no script and no origin.
            response["Content-Security-Policy"] = "sandbox"
        return response


class AttachmentFileApi(_FileApi):
    """The file, to members of the conversation's business only."""

    error_codes = {404: ["not_stored"]}

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, with its own Content-Type; "
                "Content-Disposition says whether it shows inline.",
            )
        }
    )
    def get(self, request: AuthenticatedRequest, attachment_id: int) -> FileResponse:
        attachment = attachments.attachment_get_for_user(
            user=request.user, attachment_id=attachment_id
        )
        if not attachment.file:
            raise NotFoundError(
                gettext("The file is not stored yet."), code="not_stored"
            )
        return self._respond(attachment.file, attachment, mime=attachment.mime_type)


class AttachmentThumbnailApi(_FileApi):
    """A small JPEG of an image attachment, made once and then kept."""

    error_codes = {404: ["no_thumbnail"]}

    @extend_schema(
        responses={
            (200, "image/jpeg"): OpenApiResponse(
                OpenApiTypes.BINARY, description="A small JPEG of the image."
            )
        }
    )
    def get(self, request: AuthenticatedRequest, attachment_id: int) -> FileResponse:
        attachment = attachments.attachment_get_for_user(
            user=request.user, attachment_id=attachment_id
        )
        if not attachments.attachment_thumbnail_ensure(attachment=attachment):
            raise NotFoundError(
                gettext("This file has no thumbnail."), code="no_thumbnail"
            )
        return self._respond(attachment.thumbnail, attachment, mime="image/jpeg")
