"""Django admin pages scoped to the businesses a business admin administers.

Business admins are ``is_staff`` so they can curate their library in the admin;
every ModelAdmin they can reach inherits ``BusinessScopedAdmin``: lists, change,
delete, history and bulk actions go through ``get_queryset``; dropdowns and raw-id
fields only accept rows of their businesses; ``business`` list filters list
only businesses present in their rows. Superusers see everything.

The path from a model to its business is found from its foreign keys
(``business``, ``rich_object__business``, ``message__conversation__business``…).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Business, Membership


def administered_business_ids(user: AbstractBaseUser | AnonymousUser) -> QuerySet:
    return Membership.objects.filter(
        user_id=user.pk or 0, role=Membership.Role.ADMIN
    ).values("business_id")


@cache
def business_path(model: type[models.Model], depth: int = 3) -> str | None:
    """The lookup from ``model`` to its Business, or None when it has none."""
    if model is Business:
        return "pk"
    fields = [
        f
        for f in model._meta.get_fields()
        if (f.many_to_one or f.one_to_one) and f.concrete and f.related_model
    ]
    for field in fields:
        if field.related_model is Business:
            return field.name
    if depth <= 1:
        return None
    for field in fields:
        below = business_path(field.related_model, depth - 1)
        if below is not None and field.related_model is not model:
            return f"{field.name}__{below}"
    return None


def scoped(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """Rows of ``queryset`` in businesses ``user`` administers (all for superusers)."""
    if user.is_superuser:
        return queryset
    model = queryset.model
    if model is get_user_model():
        # People of their own businesses, for team and assignee pickers.
        return queryset.filter(
            memberships__business__in=administered_business_ids(user)
        ).distinct()
    path = business_path(model)  # type: ignore[arg-type]  # model classes are hashable; the stubs type them as type[Any]
    if path is None:
        return queryset.none()
    lookup = "pk__in" if path == "pk" else f"{path}__in"
    return queryset.filter(**{lookup: administered_business_ids(user)})


class BusinessScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scoped(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if "queryset" not in kwargs:
            kwargs["queryset"] = scoped(
                db_field.remote_field.model._default_manager.all(), request.user
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if "queryset" not in kwargs:
            kwargs["queryset"] = scoped(
                db_field.remote_field.model._default_manager.all(), request.user
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> Any:
        # A plain related filter lists every business's name.
        return [
            (entry, admin.RelatedOnlyFieldListFilter)
            if isinstance(entry, str) and entry.split("__")[-1] == "business"
            else entry
            for entry in super().get_list_filter(request)
        ]

    def _in_scope(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._in_scope(
            request, obj
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_scope(
            request, obj
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_scope(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request, *args) and (
            request.user.is_superuser
            or administered_business_ids(request.user).exists()
        )
