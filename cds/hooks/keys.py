"""The prefetch keys every service declares, with their wording.

Each `PrefetchKey` names its template, whether the service cannot answer without it, the fact
kinds its resources give and the hooks whose cards they can change, and, in words, what a
clinician should re-check in the chart when its data could not be had and what was therefore
not checked. A key whose data cannot change a hook's cards (medicines at patient-view, where no
rule reads them) is still declared and read, but a gap in it is neither fetched nor said: a
data-check item about it would send the clinician to re-check what nothing here looks at.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final


@dataclass(frozen=True)
class PrefetchKey:
    """One prefetch template a service declares, and whether it cannot answer without it.

    ``recheck`` says what a clinician should look at in the chart when the key's data could
    not be had (it goes with the data-check item); ``consequence`` what was therefore not
    checked (the pack's ``unavailable_text`` says it as ``{consequence}``).

    ``facts`` names the fact kinds the key's resources give the rules, and ``hooks`` the hooks
    whose cards they can change (None: every hook; tests/hooks check it against the pack: a
    hook is listed when one of its rules reads one of those kinds). ``counts`` is False in a
    service's own keys (`prefetch_keys`) when its hook is not one of them: what is sent is
    read, but a gap in it is neither fetched nor said.
    """

    key: str
    template: str
    required: bool
    recheck: str = "review the patient's record in the chart"
    consequence: str = "danger signs in what was not received were not checked"
    facts: frozenset[str] = frozenset()
    hooks: frozenset[str] | None = None
    counts: bool = True
    offered: bool = True
    """False when the deployment dropped the key (``prefetch_templates``): discovery does not
    ask for it and a gap in it is neither fetched nor said (``counts`` is False too), but what
    a client sends under it anyway is still read."""

    @property
    def resource_type(self) -> str:
        """The type of resource the template asks for (``Condition`` of ``Condition?…``)."""
        return self.template.split("?", 1)[0].split("/", 1)[0]

    def matters_at(self, hook: str) -> bool:
        """Whether this key's data can change the cards of ``hook``."""
        return self.hooks is None or hook in self.hooks


#: Hooks with a rule that reads medicines (cautions about pain relievers and sedation).
_MEDICINE_HOOKS: Final = frozenset({"order-select", "order-sign", "encounter-discharge"})


#: Prefetch keys every service declares. Without the patient and the conditions the pack
#: cannot tell whether it speaks about this patient at all, so those are required.
PREFETCH: Final = (
    PrefetchKey(
        "patient",
        "Patient/{{context.patientId}}",
        required=True,
        recheck="review the patient's demographics in the chart",
        consequence="the patient's identity and age were not checked",
        facts=frozenset({"patient"}),
    ),
    PrefetchKey(
        "conditions",
        "Condition?patient={{context.patientId}}",
        required=True,
        recheck="review the patient's problem list and recent diagnoses in the chart",
        consequence=(
            "danger signs, imaging criteria and pain-reliever cautions in problem-list entries "
            "not received were not checked"
        ),
        facts=frozenset({"condition"}),
    ),
    # Recent first, so a client that truncates drops the oldest results, not today's fever.
    PrefetchKey(
        "observations",
        "Observation?patient={{context.patientId}}&_sort=-date&_count=200",
        required=False,
        recheck="review the patient's recent vital signs and results in the chart",
        consequence="danger signs in recent vital signs and results not received were not checked",
        facts=frozenset({"observation"}),
    ),
    PrefetchKey(
        "medications",
        "MedicationRequest?patient={{context.patientId}}&status=active,on-hold",
        required=False,
        recheck="review the patient's active medication orders in the chart",
        consequence=(
            "pain-reliever and sedation cautions could not be checked against the patient's "
            "medicines"
        ),
        facts=frozenset({"medication"}),
        hooks=_MEDICINE_HOOKS,
    ),
    # Home medicines (a blood thinner taken for years) are often recorded as statements.
    PrefetchKey(
        "medicationstatements",
        "MedicationStatement?patient={{context.patientId}}&status=active,on-hold,intended",
        required=False,
        recheck="review the patient's home medicines in the chart",
        consequence=(
            "pain-reliever and sedation cautions could not be checked against the patient's "
            "home medicines"
        ),
        facts=frozenset({"medication"}),
        hooks=_MEDICINE_HOOKS,
    ),
)

#: The visit itself: its reason (chief complaint) and diagnoses may be the only place the back
#: pain or a danger sign is recorded ("Back pain, unable to urinate since last night"). Every
#: service declares it (encounterId is a prefetch token of each of our hooks); it counts only
#: at discharge, where encounterId is required: elsewhere the context may have no encounter,
#: so what is sent is read but a missing key is neither fetched nor said.
ENCOUNTER: Final = PrefetchKey(
    "encounter",
    "Encounter/{{context.encounterId}}",
    required=False,
    recheck="review the encounter's diagnoses and reason for visit in the chart",
    consequence="the visit's reason and diagnoses were not checked for back pain or danger signs",
    facts=frozenset({"condition"}),
)


def prefetch_keys(hook: str, *, encounter_required: bool) -> tuple[PrefetchKey, ...]:
    """The prefetch keys of a hook's service, each marked whether it `counts` at this hook
    (the encounter counts only where the context requires an encounterId). The hooks' own
    keys are `cds.hooks.registry.HookSpec.keys`."""
    return tuple(
        k
        if k.matters_at(hook) and (k is not ENCOUNTER or encounter_required)
        else replace(k, counts=False)
        for k in (*PREFETCH, ENCOUNTER)
    )
