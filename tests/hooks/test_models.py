"""Tests for hooks/models.py: cards, responses and discovery, and their serialisation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from cds.hooks.models import (
    Action,
    Card,
    Coding,
    Discovery,
    HookResponse,
    Link,
    OverrideReason,
    Service,
    Source,
    Suggestion,
    dump,
    dump_discovery,
    dump_response,
)
from tests.hooks.helpers import error_locs, load


def empty_elements(value: Any, path: str = "$") -> list[str]:
    """Return the paths of null or empty elements, except the sanctioned empty arrays."""
    if path in ("$.cards", "$.services") and value == []:
        return []
    if value is None or (isinstance(value, str | list | dict) and not value):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in empty_elements(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in empty_elements(item, f"{path}[{i}]")]
    return []


SOURCE = Source(label="Back pain CDS")


def card(**fields: Any) -> Card:
    """Build a card with the required fields filled in."""
    return Card(**{"summary": "Check this", "indicator": "info", "source": SOURCE, **fields})


# --- Responses and discovery: the spec's examples ------------------------------------------------

VALID_RESPONSES = [
    "any--response--cards-links-overrideReasons--spec-2.0.1.json",
    "any--response--no-cards--spec-2.0.1.json",
    "any--response--cards-links--spec-1.0.json",  # also valid under 2.0.1
]


@pytest.mark.parametrize("name", VALID_RESPONSES)
def test_valid_response_examples_parse_and_round_trip(name: str) -> None:
    data = load(name)
    assert dump_response(HookResponse.model_validate(data)) == data


INVALID_RESPONSES = [
    # README: erratum, the card has no indicator (REQUIRED).
    ("any--response--autolaunchable--spec-2.0.1.json", ("cards", 0, "indicator")),
    # README: systemAction without description (REQUIRED in 2.0; optional only in 3.0 ballot).
    ("any--response--systemActions--spec-2.0.1.json", ("systemActions", 0, "description")),
    (
        "order-select--response--pama-systemActions--docs-examples.json",
        ("systemActions", 0, "description"),
    ),
]


@pytest.mark.parametrize(("name", "loc"), INVALID_RESPONSES)
def test_invalid_response_examples_are_rejected(name: str, loc: tuple[str | int, ...]) -> None:
    with pytest.raises(ValidationError) as exc:
        HookResponse.model_validate(load(name))
    assert error_locs(exc.value) == [loc]
    assert exc.value.errors()[0]["type"] == "missing"


def test_autolaunchable_example_with_an_indicator_round_trips() -> None:
    data = load("any--response--autolaunchable--spec-2.0.1.json")
    data["cards"][0]["indicator"] = "info"
    response = HookResponse.model_validate(data)
    assert response.cards[0].links and response.cards[0].links[0].autolaunchable is True
    assert dump_response(response) == data


def test_historical_card_without_source_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        Card.model_validate(load("order-sign--response-card--cdc-opioid--docs-examples.json"))
    assert error_locs(exc.value) == [("source",)]


@pytest.mark.parametrize(
    "name",
    [
        "fragment--action-create--spec-2.0.1.json",
        "fragment--action-update--spec-2.0.1.json",
        "fragment--action-delete--spec-2.0.1.json",
    ],
)
def test_action_fragments_parse_and_round_trip(name: str) -> None:
    data = load(name)
    assert dump(Action.model_validate(data)) == data


def test_1_0_delete_action_with_a_string_resource_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        Action.model_validate(load("fragment--action-delete--spec-1.0.json"))
    assert error_locs(exc.value) == [("resource",)]


def test_card_source_and_override_reason_fragments_parse() -> None:
    source = load("fragment--card-source--spec-2.0.1.json")["source"]
    assert dump(Source.model_validate(source)) == source
    reasons = load("fragment--overrideReasons--spec-2.0.1.json")["overrideReasons"]
    assert [dump(OverrideReason.model_validate(r)) for r in reasons] == reasons


@pytest.mark.parametrize(
    "name",
    ["discovery--response--spec-2.0.1.json", "discovery--response--extension--spec-2.0.1.json"],
)
def test_discovery_examples_parse_and_round_trip(name: str) -> None:
    data = load(name)
    assert dump_discovery(Discovery.model_validate(data)) == data


# --- Responses: our rules ------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "valid"), [(1, True), (139, True), (140, False), (141, False)])
def test_summary_must_be_under_140_characters(length: int, valid: bool) -> None:
    if valid:
        assert len(card(summary="x" * length).summary) == length
    else:
        with pytest.raises(ValidationError, match="summary"):
            card(summary="x" * length)


def test_empty_summary_is_rejected() -> None:
    with pytest.raises(ValidationError, match="summary"):
        card(summary="")


def test_suggestions_need_selection_behavior() -> None:
    with pytest.raises(ValidationError, match=r"selectionBehavior is required .*cds-resp-6"):
        card(suggestions=[Suggestion(label="Do it")])
    assert card(suggestions=[Suggestion(label="Do it")], selectionBehavior="any").suggestions


def test_at_most_one_allows_only_one_recommended_suggestion() -> None:
    two = [Suggestion(label="A", isRecommended=True), Suggestion(label="B", isRecommended=True)]
    with pytest.raises(ValidationError, match="cds-resp-1"):
        card(suggestions=two, selectionBehavior="at-most-one")
    assert card(suggestions=two, selectionBehavior="any").suggestions == two


RESOURCE = {"resourceType": "ServiceRequest", "id": "sr-1", "status": "draft"}

BAD_ACTIONS = [
    ({"type": "delete", "description": "Remove"}, "a delete action needs resourceId"),
    (
        {
            "type": "delete",
            "description": "Remove",
            "resourceId": "ServiceRequest/1",
            "resource": RESOURCE,
        },
        "a delete action needs resourceId and no resource",
    ),
    ({"type": "create", "description": "Add"}, "a create action needs a resource"),
    ({"type": "update", "description": "Change"}, "an? update action needs a resource"),
    (
        {"type": "update", "description": "Change", "resource": {"resourceType": "ServiceRequest"}},
        "an update action needs a resource with an id",
    ),
    ({"type": "create", "description": "Add", "resource": {"id": "1"}}, "has no resourceType"),
    ({"type": "delete", "description": "Remove", "resourceId": "1"}, "relative reference"),
    ({"type": "create", "resource": RESOURCE}, "description"),
    ({"type": "create", "description": "", "resource": RESOURCE}, "description"),
    ({"type": "CREATE", "description": "Add", "resource": RESOURCE}, "type"),
]


@pytest.mark.parametrize(("data", "message"), BAD_ACTIONS)
def test_bad_actions_are_rejected(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Action.model_validate(data)


def test_delete_action_with_resource_id_is_accepted() -> None:
    action = Action(type="delete", description="Remove", resourceId="ServiceRequest/sr-1")
    assert dump(action) == {
        "type": "delete",
        "description": "Remove",
        "resourceId": "ServiceRequest/sr-1",
    }


BAD_PARTS = [
    (
        lambda: Link(label="App", url="https://a.example", type="absolute", appContext="x"),
        "cds-resp-3",
    ),
    (lambda: Link(label="App", url="/relative", type="absolute"), "absolute http"),
    (lambda: Source(label="S", icon="icon.png"), "absolute http"),
    (lambda: OverrideReason.model_validate({"code": "c", "system": "http://s.example"}), "display"),
    (lambda: Coding.model_validate({"code": "c"}), "system"),
    (lambda: card(indicator="hard-stop"), "indicator"),
    (lambda: card(selectionBehavior="all"), "selectionBehavior"),
    (lambda: card(uuid="not-a-uuid"), "must be a UUID"),
    (lambda: card(unknown="x"), "Extra inputs are not permitted"),
    (lambda: Service(hook="patient-view", description="d", id="a/b"), "URL path segment"),
    (lambda: Service(hook="patient-view", description="", id="a"), "description"),
]


@pytest.mark.parametrize(("build", "message"), BAD_PARTS)
def test_bad_response_parts_are_rejected(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def test_written_models_are_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        card().summary = "changed"  # type: ignore[misc]


# --- dump ----------------------------------------------------------------------------------------


def test_dump_response_never_emits_null_or_empty_elements() -> None:
    resource = {"resourceType": "MedicationRequest", "id": "m1", "note": [], "text": {"div": ""}}
    response = HookResponse(
        cards=[
            card(
                uuid="4e0a3a1e-3283-4575-ab82-028d55fe2719",
                detail="",
                source=Source(
                    label="S", url=None, icon="", topic=Coding(code="c", system="s", display="")
                ),
                suggestions=[
                    Suggestion(
                        label="Change",
                        isRecommended=False,
                        actions=[Action(type="update", description="Update", resource=resource)],
                    ),
                    Suggestion(label="Nothing", actions=[]),
                ],
                selectionBehavior="at-most-one",
                overrideReasons=[],
                links=[],
                extension={"com.example.trace": {"rules": [], "pack": "back-spasm@1.0.0"}},
            ),
            card(detail=None, suggestions=[], extension={}),
        ],
        systemActions=[],
    )
    output = dump_response(response)
    assert empty_elements(output) == []
    json.dumps(output)  # plain JSON types only
    # nothing else dropped: the spec's rule written plainly agrees, and so does the batch's
    # unvalidated dump (cds review)
    assert output == _spec_pruned(response.model_dump(mode="json", exclude_none=True))
    assert dump_response(response, validate=False) == output

    first = output["cards"][0]
    assert first["suggestions"][0]["isRecommended"] is False  # false is a value, not an empty
    assert first["suggestions"][0]["actions"][0]["resource"] == {
        "resourceType": "MedicationRequest",
        "id": "m1",
    }
    assert first["source"] == {"label": "S", "topic": {"code": "c", "system": "s"}}
    assert first["extension"] == {"com.example.trace": {"pack": "back-spasm@1.0.0"}}
    assert output["cards"][1] == {
        "summary": "Check this",
        "indicator": "info",
        "source": {"label": "Back pain CDS"},
    }
    assert "systemActions" not in output


def _spec_pruned(value: Any) -> Any:
    """No null, "", [] or {} member; None kept in arrays (the spec's rule, plainly)."""

    def empty(v: Any) -> bool:
        return v is None or (isinstance(v, str | list | dict) and not v)

    if isinstance(value, dict):
        items = {k: _spec_pruned(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if not empty(v) or k == "cards"}
    if isinstance(value, list):
        return [v for v in map(_spec_pruned, value) if v is None or not empty(v)]
    return value


def test_dump_keeps_the_sanctioned_empty_arrays() -> None:
    assert dump_response(HookResponse(cards=[])) == {"cards": []}
    assert dump_response(HookResponse(cards=[], systemActions=[])) == {"cards": []}
    assert dump_discovery(Discovery(services=[])) == {"services": []}
    assert dump(Discovery(services=[])) == {"services": []}


def test_dump_discovery_omits_empty_optional_members() -> None:
    service = Service(hook="patient-view", title="", description="d", id="s", prefetch={})
    assert dump_discovery(Discovery(services=[service])) == {
        "services": [{"hook": "patient-view", "description": "d", "id": "s"}]
    }


def test_dump_validates_a_response_changed_after_it_was_built() -> None:
    response = HookResponse(cards=[])
    response.cards.append(Card.model_construct(summary="x" * 200, indicator="info", source=SOURCE))
    with pytest.raises(ValidationError, match="summary"):
        dump_response(response)
