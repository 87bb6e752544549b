"""Customer data rights in the console and the API (the business's admins only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.exceptions import ApplicationError, NotFoundError
from conversations.models import Business, Customer
from conversations.permissions import admin_required, business_admin_get
from conversations.types import AuthenticatedHttpRequest, User

from .data_rights import customer_get, data_request_start
from .models import DataRequest


@admin_required
def customer_data(request: HttpRequest, business: Business) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    customers = Customer.objects.filter(business=business).order_by("-created_at")
    if q:
        customers = customers.filter(Q(display_name__icontains=q) | Q(apple_id=q))
    data_requests = DataRequest.objects.filter(business=business)[:20]
    busy = any(r.status in ("queued", "running") for r in data_requests)
    return render(
        request,
        "trust/customer_data.html",
        {
            "business": business,
            "q": q,
            "customers": Paginator(customers, 25).get_page(request.GET.get("page")),
            "data_requests": data_requests,
            "refresh": busy,
        },
    )


@require_POST
@admin_required
def customer_data_start(
    request: AuthenticatedHttpRequest, business: Business, customer_id: int, kind: str
) -> HttpResponse:
    try:
        customer = customer_get(business=business, customer_id=customer_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    if kind == DataRequest.Kind.ERASE and request.POST.get("confirm") != "erase":
        messages.error(request, gettext("Tick the box to confirm the erasure."))
    else:
        data_request_start(
            business=business, customer=customer, kind=kind, actor=request.user
        )
        messages.success(
            request,
            (
                gettext("Export of customer %(customer_id)s queued.")
                if kind == DataRequest.Kind.EXPORT
                else gettext("Erasure of customer %(customer_id)s queued.")
            )
            % {"customer_id": customer_id},
        )
    return redirect("trust:customer-data", business.pk)


def _request_for_admin(user: User, request_id: int) -> DataRequest:
    data_request = DataRequest.objects.filter(pk=request_id).first()
    if data_request is None:
        raise NotFoundError(gettext("No such request."))
    business_admin_get(user=user, business_id=data_request.business_id)
    return data_request


def _download(data_request: DataRequest) -> FileResponse:
    if data_request.kind != DataRequest.Kind.EXPORT or not data_request.file:
        raise NotFoundError(
            gettext("This export has no file (not finished, or erased since).")
        )
    return FileResponse(
        data_request.file.open("rb"),
        as_attachment=True,
        filename=f"customer-{data_request.customer_id}.zip",
        content_type="application/zip",
    )


@login_required
def export_download(
    request: AuthenticatedHttpRequest, request_id: int
) -> HttpResponse | FileResponse:
    try:
        return _download(_request_for_admin(request.user, request_id))
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


class DataRequestOutputSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = DataRequest
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "customer_id",
            "error",
            "created_at",
            "finished_at",
            "download",
        ]

    def get_download(self, obj: DataRequest) -> str | None:
        if obj.kind == DataRequest.Kind.EXPORT and obj.file:
            return f"/api/v1/data-requests/{obj.pk}/download/"
        return None


class CustomerDataStartApi(APIView):
    """POST starts an export or an erasure of one customer; 202 with the request."""

    kind = ""

    @extend_schema(request=None, responses={202: DataRequestOutputSerializer})
    def post(self, request: Request, business_id: int, customer_id: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        business = business_admin_get(user=user, business_id=business_id)
        customer = customer_get(business=business, customer_id=customer_id)
        data_request = data_request_start(
            business=business, customer=customer, kind=self.kind, actor=user
        )
        return Response(DataRequestOutputSerializer(data_request).data, status=202)


class CustomerExportApi(CustomerDataStartApi):
    kind = DataRequest.Kind.EXPORT


class CustomerEraseApi(CustomerDataStartApi):
    kind = DataRequest.Kind.ERASE


class DataRequestDetailApi(APIView):
    @extend_schema(responses=DataRequestOutputSerializer)
    def get(self, request: Request, request_id: int) -> Response:
        data_request = _request_for_admin(request.user, request_id)  # type: ignore[arg-type]
        return Response(DataRequestOutputSerializer(data_request).data)


class DataRequestDownloadApi(APIView):
    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request: Request, request_id: int) -> FileResponse:
        return _download(_request_for_admin(request.user, request_id))  # type: ignore[arg-type]
