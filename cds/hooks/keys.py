"""The prefetch keys every service declares, with their wording.

Each `PrefetchKey` names its template, whether the service cannot answer without it, the fact
kinds its resources give and the hooks whose cards they can change, and, in words, what a
clinician should re-check in the chart when its data could not be had and what was therefore
not checked. A key whose data cannot change a hook's cards (medicines at patient-view, where no
rule reads them) is still declared and read, but a gap in it is neither fetched nor said: a
data-check item about it would send the clinician to re-check what nothing here looks at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Final, Protocol


@dataclass(frozen=True)
class PrefetchKey:
    """One prefetch template a service declares, and whether it cannot answer without it.

    ``recheck`` says what a clinician should look at in the chart when the key's data could
    not be had (it goes with the data-check item); ``consequence`` what was therefore not
    checked (the pack's ``unavailable_text`` says it as ``{consequence}``). Both are the
    engine's general words here; a pack says them in its own clinical terms (``pack.prefetch``
    in ``pack.yaml``, applied by `worded`).

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
    consequence: str = "what was not received was not checked"
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
        facts=frozenset({"patient"}),
    ),
    PrefetchKey(
        "conditions",
        "Condition?patient={{context.patientId}}",
        required=True,
        facts=frozenset({"condition"}),
    ),
    # Recent first, so a client that truncates drops the oldest results, not today's fever.
    PrefetchKey(
        "observations",
        "Observation?patient={{context.patientId}}&_sort=-date&_count=200",
        required=False,
        facts=frozenset({"observation"}),
    ),
    PrefetchKey(
        "medications",
        "MedicationRequest?patient={{context.patientId}}&status=active,on-hold",
        required=False,
        facts=frozenset({"medication"}),
        hooks=_MEDICINE_HOOKS,
    ),
    # Home medicines (a blood thinner taken for years) are often recorded as statements.
    PrefetchKey(
        "medicationstatements",
        "MedicationStatement?patient={{context.patientId}}&status=active,on-hold,intended",
        required=False,
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
    facts=frozenset({"condition"}),
)


PREFETCH_KEY_NAMES: Final = tuple(k.key for k in (*PREFETCH, ENCOUNTER))
"""The names of every prefetch key a service declares."""


class KeyWords(Protocol):
    """A pack's words for one key (`cds.pack.schema.KeyWording`)."""

    @property
    def recheck(self) -> str: ...

    @property
    def consequence(self) -> str: ...


def worded(keys: Iterable[PrefetchKey], wording: Mapping[str, KeyWords]) -> tuple[PrefetchKey, ...]:
    """The keys with a pack's words for each (``recheck``, ``consequence``), where it has some."""
    return tuple(
        replace(k, recheck=w.recheck, consequence=w.consequence)
        if (w := wording.get(k.key)) is not None
        else k
        for k in keys
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
