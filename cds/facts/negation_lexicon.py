"""The NegEx / ConText trigger lexicon as data: each entry is phrases, a kind and a direction.

Built from the published trigger categories (Chapman et al. 2001; Harkema et al. 2009) in our
own table; `cds.facts.negation` compiles it into one matcher and reads the words around a
phrase with it. Kinds: a trigger (`negated`, `uncertain`, `hypothetical`: advice, in
`cds.facts.negation_advice`; `historical`, `family`) opens a scope
before (`pre`) or after (`post`) the phrase, both, or `either` (`pre` where it opens its item);
a `pseudo` trigger looks like one and is not; `end`, `end-family`, `end-present` close scopes.
"""

from __future__ import annotations

from typing import Literal

from cds.facts.negation_advice import ADVICE

Scope = Literal["negated", "uncertain", "hypothetical", "historical", "family"]
"""What a trigger says of the phrases in its scope."""
Kind = Literal[Scope, "pseudo", "end", "end-family", "end-present"]
Direction = Literal["pre", "post", "both", "either", "-"]

# (phrases, kind, direction). Phrases are lower case regular expressions, matched as whole
# words; where two start at one place the one of more words wins ("no history of" over "no",
# "not ruled out" over "not" and "ruled out", "family history of" over "history of").
MODAL_NOT = r"(?:ca|could|would|wo)n'?t"
MODAL_NOT_SPLIT = r"(?:can|could) not"
""""can not", "could not" typed as two words: the same modal as "can't" and "couldn't" ("can not
move her legs" is weak legs), never a plain "not" reaching a whole list."""
MODAL_NEGATION = rf"(?:{MODAL_NOT}|{MODAL_NOT_SPLIT})"
"""A modal's "not" ("can't", "won't", "can not"): it negates its verb, two words at most and
within its own list item (`cds.facts.negation` reads it so). "can not rule out", "can not
exclude" are longer entries of their own (uncertain), and win where both match."""
PAST_BEFORE = r"resolved"
"""A past marker written before its concept ("Low back pain with resolved fever"): like a
modal's "not", it reaches two words at most and never across a list, so "fever resolved,
urinary retention since this morning" keeps the retention current. "unresolved" is no match
(triggers are whole words); "un-resolved" is a pseudo-trigger."""
INABILITY = rf"(?:{MODAL_NEGATION}|cannot|unable to|not able to)"
"""A sign phrased as an inability ("can't feel her legs", "unable to void"): listed after a
denial it is a statement of its own, not one more denied item ("Denies fever, can't feel her
legs" is numbness; pack18, after the ER physician review, fourth round)."""
PAST_TAIL_WORDS = r"(?:after|with|following|post|s/p|on|by|in|since)"
"""Words that, after a past marker closing an entry, say how or when it ended ("resolved
after foley removal"): the entry stays closed."""
REOPENING_WORDS = r"(?:but|now|again|still|recurr\w*|return\w*|back)"
"""Words that, after a past marker, open the entry again ("resolved, but now back")."""

LEXICON: tuple[tuple[tuple[str, ...], Kind, Direction], ...] = (
    # -- negation before the phrase
    (
        (
            "no",
            "not",
            "without",
            "w/o",
            "denies",
            "deny",
            "denying",
            "negative for",
            "neg for",
            "(?:pertinent )?negatives(?: include| are| were)?",  # "Pertinent negatives: fever"
            "pertinent negative(?: for)?",
            "doubt",  # "Considered but doubt cauda equina" (as "unlikely" after it)
            "doubtful(?: for| of)?",
            "free of",
            "absence of",
            "no evidence of",
            "no signs? of",
            "no symptoms? of",
            "no complaints? of",
            "never had",
            "never",
            "neither",
            "nor",
            "ruled out for",
            "rules out",
            "no history of",
            "no hx of",
            "no h/o",
            "no prior",
            "no previous",
            "no family history of",
            "no fh of",
            "no known",
            r"(?:do|does|did|is|was|are|were|has|have|had)n'?t",
            MODAL_NOT,
            MODAL_NOT_SPLIT,
            r"(?:do|does|did)(?: not|n'?t) have",
            r"(?:has|have)(?: not|n'?t) had",
            "not having",
        ),
        "negated",
        "pre",
    ),
    # -- negation after the phrase
    (
        (
            "(?:is|was|has been|have been|were|been) ruled out",
            "ruled out",
            "(?:is|was|were|has been|have been) excluded",
            "excluded",
            "(?:is|was|were) absent",
            "(?:is|was|were) negative",
            "negative",
            "not present",
            "not seen",
            "not found",
            "not noted",
            "not detected",
            "not demonstrated",
            "not identified",
            "not reported",
            "(?:is|was) denied",
            "unlikely",
            "none",
            # a form's answer: "Fever: no", "Saddle anesthesia - none", "Fever (-)"
            # ... or on the next line, a label's answer ("Fever:" / "no": stop 24); a fever's
            # "afebrile" ("Fever: afebrile": stop 25; not "not febrile", whose "not" denies
            # the "febrile" it would otherwise hide)
            ":(?: ?|[ \t]*\n[ \t]*)(?:no|none|neg|negative|absent|denies|denied|nil|afebrile)"
            "(?=[ \t]*(?:[.,;|\n]|$))",
            ": ?-(?=[ ]*(?:[.,;|\n]|$))",
            " - ?(?:no|none|neg|negative|absent|denies|denied|nil|afebrile)(?=[ ]*(?:[.,;|\n]|$))",
        ),
        "negated",
        "post",
    ),
    ((r"\((?:-|neg|negative|no|absent)\)", "neg:?"), "negated", "either"),  # "(-) x", "Neg: x"
    (("absent", "denied"), "negated", "both"),
    (("suspected", "questionable"), "uncertain", "both"),
    # -- uncertainty and hypothesis before the phrase
    (
        (
            "rule out",
            "rule-out",
            "to rule out",
            "r/o",
            "possible",
            "possibly",
            "probable",
            "probably",
            "suspect",
            "suspicion of",
            "suspicion for",
            "suspicious for",
            "question of",
            "query",
            "concern for",
            "concerning for",
            "worrisome for",
            "worried about",
            "cannot exclude",
            "can not exclude",
            "cannot rule out",
            "can not rule out",
            "can't rule out",
            "cant rule out",
            "could not rule out",
            "unable to rule out",
            "could be",
            "may be",
            "might be",
            "may have",
            "might have",
            "consider",
            "considering",
            "differential includes",
            "differential diagnosis",
            "ddx",
            "evaluate for",
            "eval for",
            "evaluation for",
            "assess for",
            "to exclude",
            "exclude",
            "presumed",
            "presumptive",
            "provisional",
            "tentative",
        ),
        "uncertain",
        "pre",
    ),
    # -- hypothetical (ConText): advice, not a finding, nor a suspicion that a test is for
    (ADVICE, "hypothetical", "pre"),
    # -- uncertainty after the phrase
    (
        (
            "(?:is|was|are) suspected",
            "(?:is|was) possible",
            "(?:is|was|has)(?: not been| not) ruled out",
            "not ruled out",
            "not been ruled out",
            "cannot be (?:excluded|ruled out)",
            "can not be (?:excluded|ruled out)",
            "can't be (?:excluded|ruled out)",
            "to be (?:excluded|ruled out)",
            "(?:is|was) questionable",
            "unclear",
            "uncertain",
            "less likely",
        ),
        "uncertain",
        "post",
    ),
    # -- "A versus B": both uncertain
    (("versus", "vs", r"vs\.", "not excluded"), "uncertain", "both"),
    # -- history
    (
        (
            "history of",
            "hx of",
            "hx",
            "h/o",
            "past history of",
            "personal history of",
            "past medical history",
            "past medical hx",
            "pmh",
            "pmhx",
            "past surgical history",
            "surgical history",
            "psh",
            "previous",
            "prior",
            "resolution of",
            "remote",
            "status post",
            "s/p",
        ),
        "historical",
        "pre",
    ),
    (
        (
            "in the past",
            "years ago",
            "yrs ago",
            "months ago",
            "as a child",
            "in childhood",
            "(?:has|have|had) resolved",
            r"in (?:19|20)\d\d",
        ),
        "historical",
        "post",
    ),
    (("previously", PAST_BEFORE), "historical", "both"),
    # -- someone else
    (
        (
            "family history of",
            "family hx of",
            "family history",
            "family hx",
            "fhx",
            "fh",
            "fh of",
            "mother",
            "mom",
            "father",
            "dad",
            "brother",
            "sister",
            "siblings?",
            "parents?",
            "son",
            "daughter",
            "aunt",
            "uncle",
            "grandmother",
            "grandfather",
            "grandparents?",
            "cousin",
            "maternal",
            "paternal",
            "family members?",
            "fetal",  # another's: "Fetal HR 140s by doppler" (er33 v28)
            "fetus",
        ),
        "family",
        "pre",
    ),
    (
        (
            "in (?:his |her |the |their |pt's |patient's )?"
            "(?:mother|father|mom|dad|brother|sister|sibling|parents?|son|daughter|family)",
            "runs in (?:the )?family",
        ),
        "family",
        "post",
    ),
    # -- look like triggers, are not
    (
        (
            "no increase",
            "no (?:improvement|relief|better)",  # "Retention: no improvement in retention"
            "no change",
            "no significant change",
            "no interval change",
            "not only",
            "not necessarily",
            "not certain (?:if|whether)",
            "without difficulty",
            "not cause",
            "not extend",
            "gram negative",
            "not relieved",
            "not improved",
            "not improving",
            "not helped",
            "not helping",
            "not responded",
            "not responding",
            "not better",
            "not resolved",
            "un-resolved",
            r"(?:did not|didn't|does not|doesn't) help",
            r"(?:did not|didn't) tolerate",
            "prior to",
            "history of present illness",
            "hpi",
            r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
            r"[ -]?(?:years?|yrs?|months?)[ -]?old",
            "y/o",
            "yo",
            "the past",
            "past (?:few|several|\\d+) (?:hours|days|weeks|months)",
            "if any",
            r"(?:not (?:fully |completely |entirely |quite )?(?:alert|awake)|alert ?[?:=]? ?no)",
            "as if",
            "even if",
            "if needed",
            "if necessary",
            "(?:no|little|without(?: a)?) doubt",  # "No doubt about urinary retention"
            # not having passed urine is the retention itself, not its denial (er30 b05)
            "(?:has|have|had)(?: not|n'?t) (?:urinated|voided|passed urine|peed(?! (?:him|her|them"
            "|my)sel(?:f|ves)| on| in (?:his|her|their|my|the) | (?:his|her|their|my) ))",
        ),
        "pseudo",
        "-",
    ),
    # -- close every scope
    (
        (
            "but",
            "however",
            "although",
            "though",
            "except",
            "except for",
            "apart from",
            "aside from",
            "yet",
            "nevertheless",
            "still",
            "which",
            "who",
            "because",
            "due to",
            "secondary to",
            "cause of",
            "source of",
            "etiology of",
            "origin of",
            "reason for",
            "presents with",
            "presenting with",
            "presented with",
            "complains of",
            "complaining of",
            "c/o",
            "reports",
            "reported",
            "reporting",
            "endorses",
            "endorsed",
            "endorsing",
            "admits",
            "admits to",
            "positive for",
            "pos for",
            r"\((?:\+|pos|positive|yes|present)\)",  # "(+) chills, (-) fever"
            "states",
            "says",
            "after",
            "following",
            "since",
        ),
        "end",
        "-",
    ),
    # -- close a relative's scope: the sentence is back on the patient
    (("patient", "pt", "the patient"), "end-family", "-"),
    # -- close every scope but a relative's ("no fever, has ...", but "father has ...")
    (("has", "have", "now", "currently", "with new"), "end-present", "-"),
)
