"""The quiz file's claim list against its items: ids, passages, verdicts, unused claims.

The list is optional; without it an item's `claims` are free labels, as before the list
existed. With it, every id an item names must be in it. Read from the raw file, so an item
or a claim that fails its model still counts: a typo in one item hides nothing of the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.quizfile.item_checks import PASSAGE_REPEATED, SourcePassages, passage_not_found
from bot.domain.quizfile.messages import Report, did_you_mean, placed
from bot.domain.quizfile.model import Verdict
from bot.domain.quizfile.reader import Path
from bot.domain.text import N_, say

_VERDICTS = frozenset(v.value for v in Verdict)


@dataclass(frozen=True)
class _Listed:
    index: int
    verdict: str | None  # None when the claim's own verdict is missing or not valid


def check_claims(
    raw_claims: object, raw_items: object, report: Report, passages: SourcePassages | None
) -> None:
    """Report problems of the claim list and of the items' references to it."""
    if not isinstance(raw_claims, list):
        return  # no list (nothing to check), or not a list (the model says so)
    listed = _listed_claims(raw_claims, report, passages)
    used: set[str] = set()
    for index, item in enumerate(raw_items if isinstance(raw_items, list) else []):
        if isinstance(item, dict):
            used |= _check_references(index, item, listed, report)
    for claim_id, claim in listed.items():
        if claim_id not in used:
            report.warning(
                ("claims", claim.index, "id"),
                placed(
                    report.entry(("claims", claim.index)),
                    say(
                        N_(
                            "no item refers to this claim; name it in an item's 'claims' or "
                            "remove it [unused-claim]"
                        )
                    ),
                ),
            )


def _listed_claims(
    raw_claims: list[object], report: Report, passages: SourcePassages | None
) -> dict[str, _Listed]:
    """The claims by id (the first of a repeated id), reporting repeats and lost passages."""
    listed: dict[str, _Listed] = {}
    for index, claim in enumerate(raw_claims):
        if not isinstance(claim, dict):
            continue  # the model reports it
        claim_id = claim.get("id")
        passage = claim.get("passage")
        if passages is not None and isinstance(passage, str) and passage.strip():
            _check_passage(index, passage, report, passages)
        if not isinstance(claim_id, str):
            continue
        if claim_id in listed:
            first = report.parsed.line_of(("claims", listed[claim_id].index, "id"))
            report.error(
                ("claims", index, "id"),
                say(
                    N_("duplicate claim id '{id}' (first at line {line})"), id=claim_id, line=first
                ),
            )
            continue
        verdict = claim.get("verdict")
        listed[claim_id] = _Listed(index, verdict if verdict in _VERDICTS else None)
    return listed


def _check_passage(index: int, passage: str, report: Report, passages: SourcePassages) -> None:
    path: Path = ("claims", index, "passage")
    label = report.entry(("claims", index))
    missing = passages.not_found(passage)
    if missing is not None:
        report.error(path, placed(label, passage_not_found(missing)))
    elif passages.occurs_more_than_once(passage):
        report.warning(path, placed(label, say(PASSAGE_REPEATED)))


def _check_references(
    index: int, item: dict[object, object], listed: dict[str, _Listed], report: Report
) -> set[str]:
    """Report the item's unknown claim ids and a verdict against its only claim; its ids."""
    named = item.get("claims")
    if not isinstance(named, list):
        return set()
    label = report.entry(("items", index))
    ids = [claim_id for claim_id in named if isinstance(claim_id, str)]
    for number, claim_id in enumerate(named):
        if isinstance(claim_id, str) and claim_id not in listed:
            report.error(
                ("items", index, "claims", number),
                placed(
                    label,
                    say(
                        N_(
                            "unknown claim '{claim}'{hint}; every claim an item names must be "
                            "in the file's claim list"
                        ),
                        claim=claim_id,
                        hint=did_you_mean(claim_id, listed),
                    ),
                ),
            )
    verdict = item.get("verdict")
    if len(ids) == 1 and ids[0] in listed and verdict in _VERDICTS:
        claimed = listed[ids[0]].verdict
        # A different verdict may be right (the item asks about another side of the
        # passage), so it is worth a look, not an error.
        if claimed is not None and claimed != verdict:
            report.warning(
                ("items", index, "verdict"),
                placed(
                    label,
                    say(
                        N_(
                            "its verdict is '{verdict}', but its only claim, '{claim}', is "
                            "'{claimed}' in the claim list; if the item asks about another side "
                            "of the passage, list that side as a claim of its own "
                            "[claim-verdict]"
                        ),
                        verdict=str(verdict),
                        claim=ids[0],
                        claimed=claimed,
                    ),
                ),
            )
    return set(ids)
