"""Tests for service/prefetch.py: the five prefetch cases, paging, SSRF and failure modes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from cds.hooks.prefetch import checked_note, read_prefetch
from cds.hooks.registry import parse_hook_request
from cds.service.outbound import Outbound
from cds.service.prefetch import FetchPolicy, PrefetchResolver, render
from cds.services import PREFETCH
from tests.service.patient import (
    back_pain,
    full_prefetch,
    hook_request,
    missing,
    outcome,
    patient,
    searchset,
    temperature,
)

pytestmark = pytest.mark.anyio
FHIR = "https://fhir.example.org/r4"
TOKEN = "secret-access-token"
PUBLIC_IP = "93.184.215.14"


async def public(host: str, port: int) -> list[str]:
    """A resolver for the test hosts: every name is one public address (nothing is sent)."""
    return [PUBLIC_IP]


OUTBOUND = Outbound(resolve=public)
POLICY = FetchPolicy(
    allowlist=(FHIR,), call_timeout=1.0, total_timeout=2.0, max_pages=5, outbound=OUTBOUND
)


class FakeFhir:
    """A MockTransport FHIR server: answers by path, records every request."""

    def __init__(self, routes: dict[str, Any] | None = None) -> None:
        self.routes = routes or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = str(request.url).removeprefix(FHIR + "/")
        answer = self.routes.get(key, self.routes.get(key.split("?")[0]))
        if answer is None:
            return httpx.Response(404, json=outcome("not found"))
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)


def resolver(server: FakeFhir, policy: FetchPolicy = POLICY) -> PrefetchResolver:
    return PrefetchResolver(httpx.AsyncClient(transport=httpx.MockTransport(server)), policy)


def request(prefetch: dict[str, Any] | None, server: str = FHIR, token: bool = True) -> Any:
    extra: dict[str, Any] = {"fhirServer": server}
    if token:
        extra["fhirAuthorization"] = {
            "access_token": TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds-service",
        }
    return parse_hook_request(hook_request(prefetch=prefetch, **extra))


def everything() -> dict[str, Any]:
    return {
        "Patient/p1": patient(),
        "Condition": searchset(back_pain()),
        "Observation": searchset(temperature(38.5)),
        "MedicationRequest": searchset(),
        "MedicationStatement": searchset(),
    }


async def test_complete_prefetch_fetches_nothing() -> None:
    server = FakeFhir()
    result = await resolver(server).resolve(request(full_prefetch()), PREFETCH)
    assert server.requests == [] and result.extra == []


async def test_null_is_known_empty_and_not_fetched() -> None:
    server = FakeFhir()
    prefetch = {
        "patient": patient(),
        "conditions": None,
        "observations": None,
        "medications": None,
        "medicationstatements": None,
    }
    result = await resolver(server).resolve(request(prefetch), PREFETCH)
    assert server.requests == [] and result.unavailable == []


async def test_absent_and_operation_outcome_keys_are_fetched_with_the_token() -> None:
    server = FakeFhir(everything())
    prefetch = {"patient": patient(), "conditions": outcome()}
    result = await resolver(server).resolve(request(prefetch), PREFETCH)
    assert sorted(result.fetched) == [
        "conditions",
        "medications",
        "medicationstatements",
        "observations",
    ]
    paths = sorted(r.url.path for r in server.requests)
    assert paths == [
        "/r4/Condition",
        "/r4/MedicationRequest",
        "/r4/MedicationStatement",
        "/r4/Observation",
    ]
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {TOKEN}"}
    observation_query = next(r for r in server.requests if r.url.path.endswith("Observation"))
    assert observation_query.url.params["patient"] == "p1"
    assert observation_query.url.params["_sort"] == "-date"


async def test_next_links_are_followed_for_prefetched_and_fetched_bundles() -> None:
    page2 = f"{FHIR}/Observation?patient=p1&_count=1&_offset=1"
    page3 = f"{FHIR}/Observation?patient=p1&_count=1&_offset=2"
    server = FakeFhir(
        {
            page2.removeprefix(FHIR + "/"): searchset(temperature(37.0, oid="o2"), next_url=page3),
            page3.removeprefix(FHIR + "/"): searchset(temperature(38.9, oid="o3")),
        }
    )
    prefetch = full_prefetch()
    prefetch["observations"] = searchset(temperature(36.5), next_url=page2)
    result = await resolver(server).resolve(request(prefetch), PREFETCH)
    assert result.fetched == ["observations"]
    assert [str(r.url) for r in server.requests] == [page2, page3]
    assert len(result.extra) == 2


async def test_next_link_to_another_host_is_not_followed() -> None:
    server = FakeFhir()
    prefetch = full_prefetch()
    prefetch["conditions"] = searchset(back_pain(), next_url="https://evil.org/r4/Condition?p=2")
    assert missing(await resolver(server).resolve(request(prefetch), PREFETCH)) == "conditions"
    assert server.requests == []


async def test_a_server_outside_the_allowlist_is_never_contacted() -> None:
    server = FakeFhir(everything())
    for bad in ("https://fhir.example.org.evil.com/r4", "http://169.254.169.254/latest"):
        assert (
            missing(await resolver(server).resolve(request({}, server=bad), PREFETCH))
            == "patient, conditions"
        )
    assert server.requests == []


async def test_without_a_token_the_fetch_goes_unauthenticated() -> None:
    server = FakeFhir(everything())
    await resolver(server).resolve(request({}, token=False), PREFETCH)
    assert server.requests and all("authorization" not in r.headers for r in server.requests)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(401, json=outcome("no")),
        httpx.Response(500, text="boom"),
        httpx.Response(200, text="{not json"),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json=outcome("search failed")),
    ],
    ids=["401", "500", "malformed", "not-a-resource", "operation-outcome"],
)
async def test_failed_fetch_of_a_required_key_is_missing_data(
    answer: httpx.Response, caplog: pytest.LogCaptureFixture
) -> None:
    routes = {**everything(), "Condition": answer}
    prefetch = full_prefetch()
    del prefetch["conditions"]
    with caplog.at_level(logging.DEBUG):
        result = await resolver(FakeFhir(routes)).resolve(request(prefetch), PREFETCH)
    assert result.unavailable == ["conditions"]
    assert missing(result) == "conditions"
    assert TOKEN not in caplog.text


async def test_failed_optional_key_is_skipped() -> None:
    routes = {**everything(), "Observation": httpx.Response(500)}
    result = await resolver(FakeFhir(routes)).resolve(request({}), PREFETCH)
    assert result.unavailable == ["observations"]
    assert sorted(result.fetched) == [
        "conditions",
        "medications",
        "medicationstatements",
        "patient",
    ]


async def test_slow_server_hits_the_time_budget() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json=patient())

    client = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    policy = FetchPolicy(
        allowlist=(FHIR,), call_timeout=0.2, total_timeout=0.3, max_pages=5, outbound=OUTBOUND
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert missing(await PrefetchResolver(client, policy).resolve(request({}), PREFETCH))
    assert loop.time() - started < 1.5


async def test_a_repeating_page_link_stops_the_paging_at_once() -> None:
    """A server whose next page links to itself is read once, not up to fetch_max_pages."""
    loop_url = f"{FHIR}/Condition?page=again"
    server = FakeFhir({"Condition?page=again": searchset(back_pain(), next_url=loop_url)})
    prefetch = full_prefetch()
    prefetch["conditions"] = searchset(back_pain(), next_url=loop_url)
    result = await resolver(server).resolve(request(prefetch), PREFETCH)
    assert missing(result)
    assert len(server.requests) == 1  # its next link is the same URL: not fetched again
    assert "page link repeats" in result.incomplete["conditions"]
    assert result.incomplete["conditions"].startswith("only the first 2 entries checked")


async def test_a_relative_next_link_is_read_on_the_fhir_server() -> None:
    server = FakeFhir({"Condition": searchset(back_pain(cid="c2"))})
    prefetch = full_prefetch()
    page_one = searchset(back_pain())
    page_one["link"] = [{"relation": "next", "url": "Condition?patient=p1&page=2"}]
    prefetch["conditions"] = page_one
    result = await resolver(server).resolve(request(prefetch), PREFETCH)
    assert [str(r.url) for r in server.requests] == [f"{FHIR}/Condition?patient=p1&page=2"]
    assert result.incomplete == {} and result.fetched == ["conditions"]


def test_one_entry_checked_reads_in_the_singular() -> None:
    assert checked_note(1, None, "x") == (
        "only the first entry checked (next page could not be fetched: x)"
    )
    assert checked_note(1, 9, "x").startswith("only the first entry of 9 checked")
    assert checked_note(2, 9, "x").startswith("only the first 2 of 9 entries checked")


def test_a_page_with_no_entry_says_none_was_checked() -> None:
    """ "only the first 0 of 20 entries checked" read as nonsense (ER physician review)."""
    assert checked_note(0, 20, "x") == (
        "none of its 20 entries checked: the page received held none "
        "(next page could not be fetched: x)"
    )
    assert checked_note(0, None, "x", truncated=True).startswith("no entry checked")


NO_MATCHES = {
    "resourceType": "OperationOutcome",
    "issue": [
        {"severity": "information", "code": "informational", "diagnostics": "no matches"},
        {"severity": "warning", "code": "processing", "diagnostics": "_sort ignored"},
    ],
}


async def test_an_informational_outcome_is_an_empty_answer_sent_or_fetched() -> None:
    server = FakeFhir({**everything(), "Observation": NO_MATCHES})
    prefetch = {**full_prefetch(), "conditions": NO_MATCHES}
    del prefetch["observations"]
    received = read_prefetch(prefetch, PREFETCH)
    assert received.prefetch["conditions"] is None and "conditions" not in received.fetch
    result = await resolver(server).resolve(request(prefetch), PREFETCH)
    assert result.unavailable == [] and result.fetched == ["observations"]
    assert [page["entry"] for _, page in result.extra] == [[]]


def test_an_outcome_with_an_error_is_still_a_failed_fetch() -> None:
    failed = {**NO_MATCHES, "issue": [*NO_MATCHES["issue"], {"severity": "error"}]}
    received = read_prefetch({**full_prefetch(), "conditions": failed}, PREFETCH)
    assert "OperationOutcome" in received.fetch["conditions"]


def test_render_fills_context_tokens() -> None:
    assert render("Condition?patient={{context.patientId}}", {"patientId": "p9"}) == (
        "Condition?patient=p9"
    )


# --- what was read is kept: a key stopped half-way is incomplete, never discarded ----------


def observations_pages(n: int, per_page: int) -> dict[str, Any]:
    """`n` linked Observation pages of `per_page` temperatures, newest first (as `_sort=-date`)."""
    routes: dict[str, Any] = {}
    for page in range(n):
        url = "Observation" if page == 0 else f"Observation?page={page}"
        readings = [
            temperature(37.0, oid=f"o{page}-{i}", hours_ago=page * per_page + i)
            for i in range(per_page)
        ]
        link = f"{FHIR}/Observation?page={page + 1}" if page + 1 < n else None
        routes[url] = {**searchset(*readings, next_url=link), "total": n * per_page}
    return routes


def kept_ids(result: Any) -> list[str]:
    return [e["resource"]["id"] for _, page in result.extra for e in page.get("entry", [])]


async def test_a_key_past_max_entries_keeps_its_first_entries_and_says_so() -> None:
    server = FakeFhir({**everything(), **observations_pages(4, 3)})
    policy = FetchPolicy(
        allowlist=(FHIR,),
        call_timeout=1.0,
        total_timeout=2.0,
        max_pages=5,
        max_entries=7,
        outbound=OUTBOUND,
    )
    result = await resolver(server, policy).resolve(request({"patient": patient()}), PREFETCH)
    kept = [i for i in kept_ids(result) if i.startswith("o")]
    assert kept == ["o0-0", "o0-1", "o0-2", "o1-0", "o1-1", "o1-2", "o2-0"]  # the newest 7
    assert "observations" in result.fetched and "observations" not in result.unavailable
    assert result.incomplete["observations"] == (
        "only the first 7 of 12 entries checked (truncated: Observation: more than 7 entries "
        "(fetch_max_entries))"
    )


async def test_a_key_past_max_pages_keeps_the_pages_read() -> None:
    server = FakeFhir({**everything(), **observations_pages(4, 2)})
    policy = FetchPolicy(
        allowlist=(FHIR,), call_timeout=1.0, total_timeout=2.0, max_pages=2, outbound=OUTBOUND
    )
    result = await resolver(server, policy).resolve(request({"patient": patient()}), PREFETCH)
    assert [i for i in kept_ids(result) if i.startswith("o")] == ["o0-0", "o0-1", "o1-0", "o1-1"]
    assert result.incomplete["observations"].startswith("only the first 4 of 8 entries checked")
    assert "(fetch_max_pages)" in result.incomplete["observations"]


async def test_a_key_past_max_bytes_keeps_the_pages_before() -> None:
    routes = {**everything(), **observations_pages(3, 2)}
    routes["Observation?page=1"]["entry"][0]["resource"]["note"] = [{"text": "x" * 4000}]
    server = FakeFhir(routes)
    policy = FetchPolicy(
        allowlist=(FHIR,),
        call_timeout=1.0,
        total_timeout=2.0,
        max_pages=5,
        max_bytes=3000,
        outbound=OUTBOUND,
    )
    result = await resolver(server, policy).resolve(request({"patient": patient()}), PREFETCH)
    assert [i for i in kept_ids(result) if i.startswith("o")] == ["o0-0", "o0-1"]
    assert "(fetch_max_bytes)" in result.incomplete["observations"]


async def test_a_failing_next_page_keeps_the_client_page_and_names_the_reason() -> None:
    page2 = f"{FHIR}/Condition?patient=p1&page=2"
    server = FakeFhir({"Condition?patient=p1&page=2": httpx.Response(503)})
    prefetch = full_prefetch()
    prefetch["conditions"] = {**searchset(back_pain(), next_url=page2), "total": 31}
    result = await resolver(server).resolve(request(prefetch), PREFETCH)
    assert result.unavailable == [] and result.extra == []
    assert result.incomplete == {
        "conditions": "only the first entry of 31 checked (next page could not be fetched: "
        "Condition: HTTP 503)"
    }
    assert missing(result) == "conditions"  # the route decides: 412 only if out of scope


async def test_a_fetch_failing_on_page_two_keeps_page_one() -> None:
    routes = {**everything(), **observations_pages(3, 2)}
    routes["Observation?page=1"] = httpx.Response(500)
    result = await resolver(FakeFhir(routes)).resolve(request({"patient": patient()}), PREFETCH)
    assert [i for i in kept_ids(result) if i.startswith("o")] == ["o0-0", "o0-1"]
    assert result.incomplete["observations"] == (
        "only the first 2 of 6 entries checked (next page could not be fetched: "
        "Observation: HTTP 500)"
    )
