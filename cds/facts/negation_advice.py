"""Advice in a record's words ("Return if you have fever", "Call 911 for trouble breathing",
"Seek care for:" then a list): the hypothetical of ConText (Harkema et al. 2009), no finding
of the patient's and, unlike a doubt, no suspicion a test is for (`cds.facts.negation`)."""

from __future__ import annotations

SOON = "(?: right away| immediately| promptly| sooner)?"
"""How soon the advice says to act ("Return immediately if ...")."""
IF_YOU = (
    r"(?: (?:you|he|she|they|pt|patient|the patient)"
    r" (?:have|has|develop|develops|get|gets|notice|notices|experience|experiences|feel|feels)"
    r"(?: any of the following| the following)?)?"
)
"""Advice's own "you have" ("Return if you have fever"): part of its trigger, so the "have"
that closes a scope before a present finding ("h/o fever, now has chills") does not close it."""

ADVICE: tuple[str, ...] = (
    f"if{IF_YOU}",
    f"(?:return|rtc)(?: to (?:the )?(?:ed|er|clinic))?{SOON} (?:if|for){IF_YOU}",  # "to ED for"
    "in case of",
    "watch for",
    "monitor for",
    f"call if{IF_YOU}",
    "should (?:he|she|they|the patient|pt) develop",
    "return precautions",
    "warning signs",
    "reasons to (?:return|come back|call)",
    # education: what the patient was taught to watch for ("red flags reviewed using
    # teach-back: trouble peeing, ...": emergency physician round er30)
    "red flags?(?: symptoms)?(?: were| was)? (?:reviewed|discussed|explained|given)",
    "teach-?back",
    "(?:educated|counsell?ed|instructed) (?:on|about|regarding)",
    "education (?:on|about|regarding|given)",
    f"rted (?:if|for){IF_YOU}",
    f"call 911 (?:if|for){IF_YOU}",
    "call (?:your |the )?(?:doctor|provider|pcp|physician|md|clinic|office)"
    f"{SOON} (?:if|for){IF_YOU}",
    "(?:go|come back|come|return) to (?:the )?(?:ed|er|emergency (?:room|department)"
    f"|hospital|urgent care){SOON} (?:if|for){IF_YOU}",
    "seek (?:immediate |urgent |emergency |medical )?(?:care|attention|help)"
    f"{SOON} (?:if|for){IF_YOU}",
)
"""The triggers of advice, lower-case regular expressions matched as whole words (the
discharge boilerplate of ED notes: emergency physician rounds er27, er29)."""
