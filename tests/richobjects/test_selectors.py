from __future__ import annotations

from typing import Any

import pytest

from conversations.models import Business
from richobjects.models import RichObject
from richobjects.selectors import rich_object_get_sendable, rich_object_list_for_agent
from richobjects.services import rich_object_create, rich_object_publish
from tests.factories import BusinessFactory

pytestmark = pytest.mark.django_db


def make(
    business: Business, name: str, spec: dict[str, Any], **kwargs: Any
) -> RichObject:
    rich_object = rich_object_create(
        business=business, name=name, kind="quick_reply", spec=spec, **kwargs
    )
    return rich_object_publish(rich_object=rich_object)


def test_agents_see_published_objects_of_their_team_matching_name_or_tag(
    business: Business, quick_reply_spec: dict[str, Any]
) -> None:
    make(business, "Triage", quick_reply_spec, tags=["support"])
    make(business, "Sales offer", quick_reply_spec, scope_team="Sales")
    make(business, "Repair booking", quick_reply_spec, tags=["workshop"])
    rich_object_create(
        business=business, name="Draft", kind="quick_reply", spec=quick_reply_spec
    )
    make(BusinessFactory(), "Elsewhere", quick_reply_spec)

    def names(**kwargs: Any) -> list[str]:
        return [o.name for o in rich_object_list_for_agent(business=business, **kwargs)]

    assert names() == ["Repair booking", "Triage"]
    assert names(team="Sales") == ["Repair booking", "Sales offer", "Triage"]
    assert names(query="SUPP") == ["Triage"]
    assert names(query="repair") == ["Repair booking"]
    assert names(kind="list_picker") == []


def test_bots_only_get_published_objects_of_their_business(
    business: Business, quick_reply_spec: dict[str, Any]
) -> None:
    published = make(business, "Triage", quick_reply_spec)
    draft = rich_object_create(
        business=business, name="Draft", kind="quick_reply", spec=quick_reply_spec
    )

    assert (
        rich_object_get_sendable(business=business, object_id=published.pk) == published
    )
    assert rich_object_get_sendable(business=business, object_id=draft.pk) is None
    assert (
        rich_object_get_sendable(business=BusinessFactory(), object_id=published.pk)
        is None
    )
