"""The bot's summary of an escalation ("reason: asked; last step: menu; lookup: none; ..."),
written for staff in words: where the person was, their last lookup, what they read."""

from __future__ import annotations

from collections.abc import Callable

from .pages import N_

WHERE_WORDS = {"menu": N_("At the main menu"), "verified": N_("After seeing their case"),
               "topics": N_("Reading the information topics"),
               "topic": N_("Reading the information topics")}
LOOKUP_STEPS = frozenset({"lookup_id", "notice_code", "docket_last_name", "docket_dob",
                          "notice_dob", "name_last", "name_first", "name_dob", "name_offer"})
LOOKUP_WORDS = {"none": N_("No lookup yet"), "verified": N_("Their details matched a case"),
                "failed": N_("Their details did not match"),
                "locked": N_("Locked out after too many tries"),
                "name_only": N_("Searched by name and date of birth only")}


def summary_words(summary: str, tr: Callable[..., str],
                  topic_title: Callable[[str], str]) -> list[str]:
    """The bot's summary in words, translated by ``tr``; reason and language are shown
    elsewhere on the page, the cases in their own section."""
    facts = dict(part.split(": ", 1) for part in summary.split("; ") if ": " in part)
    lines: list[str] = []
    step = facts.get("last step", "")
    where = WHERE_WORDS.get(step) or (N_("In the middle of a case lookup")
                                      if step in LOOKUP_STEPS else None)
    if where:
        lines.append(tr(N_("Where they were: {where}"), where=tr(where)))
    if facts.get("lookup") in LOOKUP_WORDS:
        lines.append(tr(N_("Last lookup: {outcome}"), outcome=tr(LOOKUP_WORDS[facts["lookup"]])))
    failed = facts.get("failed lookups (window)", "0")
    if failed.isdigit() and int(failed):
        lines.append(tr(N_("Failed lookups recently: {n}"), n=failed))
    if facts.get("topics"):
        titles = ", ".join(topic_title(t.strip()) for t in facts["topics"].split(","))
        lines.append(tr(N_("Read about: {topics}"), topics=titles))
    return lines
