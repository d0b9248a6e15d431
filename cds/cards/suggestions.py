"""A card's suggestions: the FHIR actions a clinician can take with one click."""

from __future__ import annotations

from collections.abc import Container

from cds.cards.actions import build_action_resource, replaced_order
from cds.cards.context import CardContext, missing_keys
from cds.cards.instructions import patient_instructions
from cds.findings import Finding, Outcome
from cds.hooks.models import Action, Suggestion
from cds.pack.load import Pack
from cds.pack.schema import SuggestionSpec


def _targets(
    spec: SuggestionSpec, findings: list[Finding], outcome: Outcome, drafts: Container[str]
) -> list[str]:
    """The draft orders (among ``drafts``) in the findings' evidence that the suggestion acts
    on, once each: in ``only_valuesets`` (if given), and shown by no finding of the call in
    one of ``except_valuesets`` (the opioid of hydrocodone-ibuprofen)."""
    targets = [
        e.rid
        for f in findings
        for e in f.evidence
        if e.rid in drafts
        and (not spec.only_valuesets or set(e.valuesets) & set(spec.only_valuesets))
    ]
    if spec.except_valuesets:
        excepted = set(spec.except_valuesets)
        combined = {
            e.rid for f in outcome.findings for e in f.evidence if excepted & set(e.valuesets)
        }
        targets = [rid for rid in targets if rid not in combined]
    return list(dict.fromkeys(targets))


def suggestion(
    spec: SuggestionSpec,
    findings: list[Finding],
    outcome: Outcome,
    pack: Pack,
    ctx: CardContext,
    critical: bool,
) -> tuple[Suggestion | None, list[str]]:
    """The suggestion a spec makes on this card, recommended as the spec says unless
    ``critical`` (the card is held: a critical card stands beside it, or its instructions
    miss part of the record); None when a rule it names fired, a key it needs was not had,
    or it has no action to offer (no draft order to act on). With it, what the card must say
    of a draft order the suggestion would change but cannot (it has no FHIR id to update, or
    no valid order can be made of it): never a one-click change left out in silence."""
    if spec.unless_rules and outcome.fired(spec.unless_rules):
        return None, []
    if spec.unless_possible_signs and any(i.possible_sign for i in ctx.issues):
        return None, []
    if spec.needs_prefetch and missing_keys(ctx.issues, spec.needs_prefetch):
        return None, []
    targets = _targets(spec, findings, outcome, ctx.draft_orders) if ctx.draft_orders else []
    notes: list[str] = []
    if spec.action == "replace-draft-order" and ctx.unaddressable_drafts:
        notes += [
            _not_offered(spec, rid, "it has no FHIR id the EHR could update")
            for rid in _targets(spec, findings, outcome, ctx.unaddressable_drafts)
        ]
    actions: list[Action] = []
    if spec.action == "replace-draft-order":
        # One `update` per draft: the draft itself with its medicine replaced. Evidence, in
        # the official CDS Hooks Sandbox build (shared/cds-hooks/sandbox/build/app.bundle.js,
        # all on line 102; byte offsets): Rx View and Rx Sign dispatch {type: "TAKE_SUGGESTION",
        # suggestion} when a suggestion is taken (~3588655 and ~3596221; the constant at
        # ~1581607); the medicationState reducer (~3219072) walks the suggestion's actions in
        # order and *returns* on the first it can handle: a `delete` clears the prescription;
        # a `create` or `update` whose resource has medicationCodeableConcept.text and
        # .coding[0].code becomes the prescribed medicine. Our former delete + create applied
        # only the delete and left the patient with no pain-reliever order. An update of the
        # same id is valid CDS Hooks 2.0 (an update carries the resource, with its id) and is
        # what an EHR applies in place to a draft.
        for rid in targets:
            resource = replaced_order(spec, ctx.draft_orders[rid])
            if resource is None:
                notes.append(_not_offered(spec, rid, "no valid FHIR R4 order could be made of it"))
                continue
            new = spec.replacement_text or spec.label
            description = f"Change the draft order {rid} to {new}; set the new dose"
            actions.append(Action(type="update", description=description, resource=resource))
    elif spec.action == "delete-draft-orders":
        actions += [
            Action(type="delete", description=f"Remove the draft order {rid}", resourceId=rid)
            for rid in targets
        ]
    else:
        text = patient_instructions(pack, outcome) if spec.action == "create-instructions" else None
        resource = build_action_resource(spec, ctx.patient_id, ctx.encounter_id, text)
        actions.append(Action(type="create", description=spec.label, resource=resource))
    if not actions:
        return None, notes
    made = Suggestion(
        label=spec.label,
        uuid=ctx.new_uuid(),
        isRecommended=spec.is_recommended and not critical,
        actions=actions,
    )
    return made, notes


def _not_offered(spec: SuggestionSpec, rid: str, why: str) -> str:
    named = rid.rpartition("/")[2] not in ("", "?")  # `MedicationRequest/?`: sent with no id
    order = f"the draft order {rid}" if named else "the draft order"
    return f'No one-click "{spec.label}" is offered for {order}: {why}; change it by hand.'
