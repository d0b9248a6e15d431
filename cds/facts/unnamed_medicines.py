"""A draft medicine order whose medicine cannot be told: no code and no name, a Medication it
references that was not received, or a product code no list of the pack holds with no words
to read. Its cautions (an NSAID in kidney disease) must not vanish: a data-check item."""

from __future__ import annotations

from collections.abc import Mapping

from cds.facts.codes import normalize_code, normalize_system
from cds.facts.concepts import codings_of, read_concept, rid_of
from cds.facts.model import DataIssue
from cds.facts.timing import FactContext
from cds.fhir import Resource


def unnamed_issue(res: Resource, concept: object, ctx: FactContext) -> DataIssue | None:
    """The data-check item of a draft order whose medicine cannot be told; None else."""
    if _unnamed(concept):
        return DataIssue(
            rid=rid_of(res),
            message=_unnamed_message(res),
            recheck="which medicine the order is for, and its cautions",
        )
    code = _code_only_unknown(concept, ctx)
    if code is None:
        return None
    return DataIssue(  # a product code no list holds, and no words to read: say so
        rid=rid_of(res),
        message=(
            f"draft order for a medicine known only by its code ({code}), which the "
            "pack's medicine lists do not hold; its cautions were not checked"
        ),
        recheck="which medicine the order is for, and its cautions",
    )


def _code_only_unknown(concept: object, ctx: FactContext) -> str | None:
    """The first code of a medicine concept that has codes but no words at all and is in no
    value set (an RxNorm product code no list holds); None otherwise."""
    codings, text = codings_of(concept)
    if text or not codings or any(c.display for c in codings):
        return None
    coded = next((c for c in codings if c.code), None)
    if coded is None or read_concept(concept, ctx.index)[0]:
        return None
    system = normalize_system(coded.system)
    return f"{normalize_code(system, coded.code)}, {system or 'no system'}"


def _unnamed_message(res: Resource) -> str:
    """Why a draft order's medicine is unknown: a Medication it names that was not received
    (neither contained, nor in draftOrders or the record), or no code and no name at all."""
    ref = res.get("medicationReference")
    target = ref.get("reference") if isinstance(ref, Mapping) else None
    if isinstance(target, str) and target:
        return (
            f"draft order for the medicine {target[:80]}, which was not received "
            "(neither contained in the order nor sent in draftOrders); its cautions were not "
            "checked"
        )
    return "draft order for a medicine that has no code and no name; not checked"


def _unnamed(concept: object) -> bool:
    """A medicine concept that says nothing: absent, null, or no code and no words."""
    codings, text = codings_of(concept)
    return not text and not any(c.code or c.display for c in codings)
