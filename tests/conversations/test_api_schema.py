"""The OpenAPI schema describes the API exactly: bodies, answers and errors."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from conversations.models import Membership

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema() -> dict[str, Any]:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_each_request_body_has_its_own_component(schema):
    refs: dict[str, str] = {}
    for method, path, operation in operations(schema):
        body = operation.get("requestBody")
        if not body:
            continue
        # One component per operation, whatever the media type.
        (ref,) = {media["schema"]["$ref"] for media in body["content"].values()}
        assert ref not in refs, f"{method} {path} shares {ref} with {refs[ref]}"
        refs[ref] = f"{method} {path}"
    assert len(refs) >= 10
    typing = schema["components"]["schemas"]["ConversationTypingInput"]
    assert typing["required"] == ["typing"]


def test_every_operation_documents_its_errors_in_the_one_envelope(schema):
    error_ref = "#/components/schemas/Error"
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        assert any(code.startswith("2") for code in responses), path
        for code in ("401", "403"):
            assert code in responses, f"{method} {path} lacks {code}"
        if "{" in path:
            assert "404" in responses, f"{method} {path} lacks 404"
        for code, response in responses.items():
            if not code.startswith("4"):
                continue
            assert "Codes: `" in response["description"], (method, path, code)
            content = response["content"]["application/json"]["schema"]
            name = content["$ref"].rsplit("/", 1)[-1]
            one_of = schema["components"]["schemas"][name].get("oneOf", [])
            refs = [content["$ref"]] + [s.get("$ref") for s in one_of]
            assert error_ref in refs, (method, path, code)
    envelope = schema["components"]["schemas"]["ErrorDetail"]
    assert set(envelope["properties"]) == {"code", "message", "fields"}


def test_error_codes_of_the_rules_are_listed_where_they_happen(schema):
    send = schema["paths"]["/api/v1/conversations/{conversation_id}/messages/"]
    assert "`conversation_closed`" in send["post"]["responses"]["409"]["description"]
    assert "`text_too_long`" in send["post"]["responses"]["400"]["description"]
    upload = schema["paths"]["/api/v1/conversations/{conversation_id}/attachments/"]
    assert "`file_too_large`" in upload["post"]["responses"]["413"]["description"]


def test_file_downloads_are_binary_with_their_content_types(schema):
    file = schema["paths"]["/api/v1/attachments/{attachment_id}/file/"]["get"]
    assert file["responses"]["200"]["content"]["*/*"]["schema"] == {
        "type": "string",
        "format": "binary",
    }
    thumb = schema["paths"]["/api/v1/attachments/{attachment_id}/thumbnail/"]["get"]
    assert "image/jpeg" in thumb["responses"]["200"]["content"]


def test_no_operation_answers_with_an_untyped_body(schema):
    for method, path, operation in operations(schema):
        for code, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                assert media["schema"] != {"type": "object"}, (method, path, code)
                assert "Unspecified" not in str(media["schema"]), (method, path)


def test_an_import_with_entries_of_the_wrong_type_is_refused_not_crashed(
    api_client, agent, business
):
    Membership.objects.filter(user=agent, business=business).update(role="admin")
    response = api_client.post(
        f"/api/v1/businesses/{business.id}/rich-objects/import",
        {"format": "msp-console.richobjects", "version": 1, "images": ["x", 1]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "images" in response.json()["error"]["fields"]


def test_the_writes_that_send_or_create_take_an_idempotency_key(schema):
    takes_key = {
        (method, path)
        for method, path, operation in operations(schema)
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    assert takes_key == {
        ("POST", "/api/v1/conversations/{conversation_id}/messages/"),
        ("POST", "/api/v1/conversations/{conversation_id}/notes/"),
        ("POST", "/api/v1/conversations/{conversation_id}/attachments/"),
        ("POST", "/api/v1/conversations/{conversation_id}/rich/"),
        ("POST", "/api/v1/conversations/{conversation_id}/signin/"),
        ("POST", "/api/v1/conversations/{conversation_id}/payment/"),
        ("POST", "/api/v1/messages/{message_id}/retry/"),
        ("POST", "/api/v1/attachments/{attachment_id}/retry/"),
        ("POST", "/api/v1/businesses/{business_id}/rich-objects/import"),
    }
    send = schema["paths"]["/api/v1/conversations/{conversation_id}/messages/"]
    assert "`idempotency_key_reused`" in send["post"]["responses"]["422"]["description"]


def test_unknown_api_urls_answer_the_json_404(api_client):
    for url in ("/api/v1/conversations/null,null/", "/api/v1/nothing-here/"):
        response = api_client.post(url, {})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    # A missing trailing slash still redirects, as Django's APPEND_SLASH did.
    response = api_client.get("/api/v1/conversations")
    assert response.status_code == 301
    assert response["Location"].endswith("/api/v1/conversations/")


def test_json_is_the_only_body_of_json_operations(api_client, conversation):
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/typing/",
        {"typing": "true"},
        format="multipart",
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_ids_beyond_the_database_range_are_400s_not_500s(api_client, conversation):
    # Found by the fuzzer: a read marker past bigint was a DataError (500).
    huge = 7033358011026928441566953472
    read = api_client.post(
        f"/api/v1/conversations/{conversation.id}/read/", {"message_id": huge}
    )
    assert read.status_code == 400
    assert "message_id" in read.json()["error"]["fields"]
    rich = api_client.post(
        f"/api/v1/conversations/{conversation.id}/rich/", {"object": huge}
    )
    assert rich.status_code == 400
    listed = api_client.get(f"/api/v1/conversations/?business={huge}")
    assert listed.status_code == 200
    assert listed.json()["results"] == []


def test_the_schema_is_plain_openapi_3_1(schema):
    # 3.0's `nullable` means nothing in 3.1, and a oneOf that a value can match
    # twice refuses it: a strict validator (a generated client) would reject answers.
    assert schema["openapi"].startswith("3.1")
    found: list[str] = []

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            if "nullable" in node:
                found.append(f"nullable at {where}")
            for option in node.get("oneOf", []):
                if option.get("maxLength") == 0:
                    found.append(f"blank oneOf at {where}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(schema, "")
    assert found == []
