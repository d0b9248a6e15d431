"""The prefetch key declarations agree with the pack: a key is said to matter at a hook exactly
when a rule of that hook reads a fact kind its resources give."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cds.hooks.keys import ENCOUNTER, PREFETCH, PrefetchKey
from cds.hooks.prefetch import read_prefetch
from cds.hooks.registry import HOOKS
from cds.pack.compile import compile_pack
from cds.pack.load import load_pack
from cds.pack.schema import KeyWording, PackMeta
from cds.services import services_for

PACK = Path(__file__).resolve().parents[2] / "rules" / "back-spasm"


@pytest.fixture(scope="module")
def kinds_by_hook() -> dict[str, set[str]]:
    pack = load_pack(PACK)
    return {
        hook: {kind for kind, _ in compile_pack(pack, hook, {}).reach}
        for hook in pack.spec.pack.hooks
    }


@pytest.mark.parametrize("spec", [*PREFETCH, ENCOUNTER], ids=lambda k: k.key)
def test_a_key_matters_where_a_rule_reads_its_facts(
    spec: PrefetchKey, kinds_by_hook: dict[str, set[str]]
) -> None:
    assert spec.facts
    for hook, kinds in kinds_by_hook.items():
        if spec.hooks is not None:
            assert spec.matters_at(hook) == bool(spec.facts & kinds), hook
        elif spec.key != "patient":  # the patient key always matters: whose record this is
            assert spec.facts & kinds, f"{spec.key} is read by no rule of {hook}"


def test_medicines_do_not_count_at_patient_view_only() -> None:
    counting = {h: {k.key for k in HOOKS[h].keys if k.counts} for h in ("patient-view",)}
    assert counting["patient-view"] == {"patient", "conditions", "observations"}
    for hook in ("order-select", "order-sign", "encounter-discharge"):
        assert all(k.counts for k in HOOKS[hook].keys if k.key != "encounter")
    # still declared (discovery unchanged), and read when sent
    keys = HOOKS["patient-view"].keys
    assert {k.key for k in keys} >= {"medications", "medicationstatements"}
    received = read_prefetch({"medications": {"resourceType": "Bundle", "entry": []}}, keys)
    assert "medications" in received.prefetch
    assert set(received.fetch) == {"patient", "conditions", "observations"}


def test_a_bare_array_is_read_not_fetched() -> None:
    spo2 = {"resourceType": "Observation", "id": "s1"}
    received = read_prefetch({"observations": [spo2]}, PREFETCH)
    assert received.prefetch["observations"] == [spo2]
    assert "observations" not in received.fetch and received.entries("observations") == 1


def test_the_encounter_is_declared_everywhere_and_counts_only_at_discharge() -> None:
    """The visit's reason counts at every hook when sent; a missing one is said only where
    the context requires an encounterId (discharge)."""
    for hook in ("patient-view", "order-select", "order-sign", "encounter-discharge"):
        (spec,) = [k for k in HOOKS[hook].keys if k.key == "encounter"]
        assert spec.template == "Encounter/{{context.encounterId}}" and spec.offered
        assert spec.counts == (hook == "encounter-discharge")
        visit = {"resourceType": "Encounter", "id": "e1", "reasonCode": [{"text": "Back pain"}]}
        received = read_prefetch({"encounter": visit}, HOOKS[hook].keys)
        assert received.prefetch["encounter"] == visit
        assert ("encounter" in read_prefetch({}, HOOKS[hook].keys).fetch) == spec.counts


def test_the_pack_words_every_key_and_the_services_carry_its_words() -> None:
    """The clinical words of a gap are the pack's (`pack.prefetch`), never the engine's."""
    pack = load_pack(PACK)
    assert set(pack.spec.pack.prefetch) == {k.key for k in (*PREFETCH, ENCOUNTER)}
    for spec in services_for(pack, {}).values():
        for key in spec.keys:
            words = pack.spec.pack.prefetch[key.key]
            assert (key.recheck, key.consequence) == (words.recheck, words.consequence)


def test_a_pack_naming_a_key_no_service_declares_is_refused() -> None:
    KeyWording.model_validate({"recheck": "r", "consequence": "c"})  # fine alone
    with pytest.raises(ValidationError, match="prefetch: labs not a prefetch key"):
        PackMeta.model_validate(
            {
                **load_pack(PACK).spec.pack.model_dump(),
                "prefetch": {"labs": {"recheck": "r", "consequence": "c"}},
            }
        )
