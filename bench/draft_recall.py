"""How many of an article's known teaching points `quizbot quiz draft` proposes.

For every tests/data/draft/NAME.teaching-points.yaml (a list of {id, passage, skill, note},
each passage an exact substring of the article), the draft is made from the article and
measured:

- recall: the share of teaching points whose passage overlaps the passage of a proposed
  skeleton. Overlap means the two share at least one character of the article's text; a
  skeleton's passage is a whole sentence (the segmenter's), and a "find the contradiction"
  skeleton has two, its passage and the passage it is paired with;
- recall with the skill: the same, counting only skeletons that propose the point's skill;
- skeletons per 1,000 words, and the cap: at most 25 per 1,000 words are proposed, so no
  draft can reach a point beyond them. "ceiling" is the recall that the best choice of
  that many sentences would reach (found greedily, so it may be a little low);
- with no cap: the recall and skeletons per 1,000 words when every sentence with a cue
  strong enough is proposed, to show what the cap costs;
- time: the median of five drafts (reading, sentences, cues, the YAML), in milliseconds.

The target is recall >= 0.8 with at most 25 skeletons per 1,000 words. Run it alone:
    .venv/bin/python bench/draft_recall.py [--verbose]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.draft.skeletons import Skeleton, build_skeletons, cap_for  # noqa: E402
from bot.services.drafts import (  # noqa: E402
    draft_quiz,
    english_stop_words,
    propose_items,
    read_article,
    vader_lexicon,
)

DATA = ROOT / "tests" / "data" / "draft"
# The bundled article lives with the bundled quiz, not beside its teaching points.
ARTICLES = {"nk-arms-article": ROOT / "bot" / "quizzes" / "article.txt"}
TARGET_RECALL = 0.8
TARGET_PER_THOUSAND = 25
NO_CAP = 1_000_000  # skeletons per 1,000 words: more than any article has sentences


@dataclass(frozen=True)
class Point:
    id: str
    passage: str
    skill: str
    start: int
    end: int


@dataclass(frozen=True)
class Result:
    name: str
    words: int
    skeletons: int
    points: int
    found: int
    found_with_skill: int
    ceiling: float
    uncapped_found: int
    uncapped_skeletons: int
    milliseconds: float

    @property
    def recall(self) -> float:
        return self.found / self.points

    @property
    def per_thousand(self) -> float:
        return 1000 * self.skeletons / self.words

    @property
    def uncapped_recall(self) -> float:
        return self.uncapped_found / self.points

    @property
    def uncapped_per_thousand(self) -> float:
        return 1000 * self.uncapped_skeletons / self.words


def article_of(points_file: Path, listed: object) -> Path:
    """The article a teaching-points file is about."""
    name = points_file.name.removesuffix(".teaching-points.yaml")
    if name in ARTICLES:
        return ARTICLES[name]
    candidates = [points_file.with_name(name + suffix) for suffix in (".txt", ".html", ".htm")]
    if isinstance(listed, str):
        # Relative to the listing's folder or to the checkout; or just its name, beside it.
        candidates[:0] = [
            points_file.parent / listed,
            ROOT / listed,
            points_file.with_name(Path(listed).name),
        ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SystemExit(f"{points_file}: no article found beside it")


def spans(skeleton: Skeleton) -> list[tuple[int, int]]:
    """Where a skeleton's passages are in the article's text."""
    found = [(skeleton.sentence.start, skeleton.sentence.end)]
    if skeleton.partner is not None:
        found.append((skeleton.partner.start, skeleton.partner.end))
    return found


def overlaps(point: Point, span: tuple[int, int]) -> bool:
    return point.start < span[1] and span[0] < point.end


def hits(point: Point, skeletons: list[Skeleton]) -> list[Skeleton]:
    """The skeletons whose passages overlap the point's."""
    return [s for s in skeletons if any(overlaps(point, span) for span in spans(s))]


def ceiling(points: list[Point], sentences: list[tuple[int, int]], cap: int) -> float:
    """The recall of the best `cap` sentences, chosen greedily by points newly covered."""
    left = set(range(len(points)))
    for _ in range(cap):
        best = max(sentences, key=lambda s: sum(1 for i in left if overlaps(points[i], s)))
        covered = {i for i in left if overlaps(points[i], best)}
        if not covered:
            break
        left -= covered
    return 1 - len(left) / len(points)


def measure(points_file: Path, *, verbose: bool) -> Result:
    listing = yaml.safe_load(points_file.read_text(encoding="utf-8"))
    article_path = article_of(points_file, listing.get("article"))
    data = article_path.read_bytes()
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        draft_quiz(article_path.name, data)
        timings.append(1000 * (time.perf_counter() - started))
    article = read_article(article_path.name, data)
    skeletons = propose_items(article)

    points = []
    for entry in listing["points"]:
        start = article.text.find(entry["passage"])
        if start < 0:
            raise SystemExit(f"{points_file}: {entry['id']}: passage not in the article")
        points.append(
            Point(
                entry["id"], entry["passage"], entry["skill"], start, start + len(entry["passage"])
            )
        )
    found = with_skill = 0
    for point in points:
        found_by = hits(point, skeletons)
        found += bool(found_by)
        with_skill += any(s.skill == point.skill for s in found_by)
        if verbose:
            shown = ", ".join(f"{s.sentence.index}:{s.skill}" for s in found_by) or "MISSED"
            print(f"  {point.id} ({point.skill}): {shown}")
    uncapped = build_skeletons(article, vader_lexicon(), english_stop_words(), per_thousand=NO_CAP)
    if verbose:
        for s in skeletons:
            partner = f" + {s.partner.index}" if s.partner else ""
            print(f"  skeleton {s.sentence.index}{partner} {s.skill} {s.score:.2f}")
    sentences = [(s.start, s.end) for s in article.sentences]
    return Result(
        name=points_file.name.removesuffix(".teaching-points.yaml"),
        words=article.words,
        skeletons=len(skeletons),
        points=len(points),
        found=found,
        found_with_skill=with_skill,
        ceiling=ceiling(points, sentences, cap_for(article.words)),
        uncapped_found=sum(1 for point in points if hits(point, uncapped)),
        uncapped_skeletons=len(uncapped),
        milliseconds=statistics.median(timings),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list each point and skeleton")
    parser.add_argument(
        "--data",
        type=Path,
        default=DATA,
        metavar="FOLDER",
        help=f"default: {DATA.relative_to(ROOT)}",
    )
    args = parser.parse_args()
    files = sorted(args.data.glob("*.teaching-points.yaml"))
    print(
        f"{'article':<26} {'words':>5} {'points':>6} {'items':>5} {'per 1k':>6} "
        f"{'recall':>6} {'+skill':>6} {'ceiling':>7} {'no cap: recall':>14} {'per 1k':>6} "
        f"{'ms':>5}"
    )
    results = []
    for path in files:
        result = measure(path, verbose=args.verbose)
        results.append(result)
        print(
            f"{result.name:<26} {result.words:>5} {result.points:>6} {result.skeletons:>5} "
            f"{result.per_thousand:>6.1f} {result.recall:>6.2f} "
            f"{result.found_with_skill / result.points:>6.2f} {result.ceiling:>7.2f} "
            f"{result.uncapped_recall:>14.2f} {result.uncapped_per_thousand:>6.1f} "
            f"{result.milliseconds:>5.0f}"
        )
    met = all(r.recall >= TARGET_RECALL and r.per_thousand <= TARGET_PER_THOUSAND for r in results)
    print(
        f"target (recall >= {TARGET_RECALL}, <= {TARGET_PER_THOUSAND} per 1,000 words):",
        "met" if met else "not met",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
