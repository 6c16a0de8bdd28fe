"""Cues in one sentence: what a media-literacy trainer would ask about it, and why.

Each cue is a general rule of reading news, never a rule about one article:

- sources: a named person or body with a verb of saying; a vague one ("a report",
  "experts", "officials", "sources", "speculation"); a passive with nobody behind it
  ("was reported", "has been accused", "are deemed"); a verb that judges what it reports
  ("revealed", "admitted");
- a figure (numbers, money, percentages) with nobody given as its source;
- hedges ("may", "seems", "allegedly", "suggest") against flat statements of what another
  sentence hedges;
- figures, dates and money, each with what it counts;
- loaded words: strongly rated words of the VADER lexicon, passed in by the caller;
- words that claim a link ("led to", "because", "coincidentally");
- words that hint at more than they say: suspicion ("suspicious", "conveniently") and two
  events set side by side ("within two miles of each other", "hours after");
- two accounts set against each other in one sentence ("says ... despite ... claiming",
  "told ... while ... indicated"): which one does the writer make weigh more?
- sweeping claims with no figure behind them ("has long", "routinely", "is known to");
- the writer's own "should" or "must": an opinion, not a report;
- a quotation with words in square brackets (the writer's, not the speaker's);
- a name spelt two ways in the article.

The headline and pairs of sentences are in `pairs.py`. Weights rank skeletons
(`skeletons.py`): stronger cues are the ones an item is most worth writing for.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Final

from bot.domain.draft.article import Sentence, Token


class CueKind(StrEnum):
    """What was found in a sentence; each kind proposes a skill and a question."""

    HEADLINE = "headline"
    CONFLICT = "conflict"
    VAGUE_SOURCE = "vague source"
    PASSIVE_SOURCE = "passive source"
    NAMED_SOURCE = "named source"
    JUDGING_VERB = "judging verb"
    UNSOURCED_FIGURE = "unsourced figure"
    HEDGE = "hedge"
    FLAT = "flat assertion"
    FIGURE = "figure"
    MONEY = "money"
    DATE = "date"
    LOADED = "loaded word"
    LINK = "claimed link"
    INSINUATION = "insinuation"
    RIVAL_ACCOUNTS = "accounts set against each other"
    SWEEPING = "sweeping claim"
    OPINION = "opinion"
    EDITED_QUOTE = "edited quotation"
    NAME_VARIANT = "name spelt two ways"


@dataclass(frozen=True)
class Cue:
    """One cue in one sentence: its kind, the words that show it, and how much it weighs."""

    kind: CueKind
    sentence: int
    focus: str  # the words found, quoted in the comment and the question
    weight: float
    detail: str = ""  # what a figure counts, the other spelling, the hedged sentence …
    partner: int | None = None  # the other sentence of a pair


# The skill each kind trains (ids of bot/quizzes/skills.yaml).
SKILLS: Final = {
    CueKind.HEADLINE: "headline-body",
    CueKind.CONFLICT: "internal-consistency",
    CueKind.VAGUE_SOURCE: "vague-attribution",
    CueKind.PASSIVE_SOURCE: "vague-attribution",
    CueKind.NAMED_SOURCE: "sourcing",
    CueKind.JUDGING_VERB: "sourcing",
    CueKind.UNSOURCED_FIGURE: "sourcing",
    CueKind.HEDGE: "hedging-vs-assertion",
    CueKind.FLAT: "hedging-vs-assertion",
    CueKind.FIGURE: "numbers-and-currency",
    CueKind.MONEY: "numbers-and-currency",
    CueKind.DATE: "numbers-and-currency",
    CueKind.LOADED: "loaded-language",
    CueKind.LINK: "insinuation-causation",
    CueKind.INSINUATION: "insinuation-causation",
    CueKind.RIVAL_ACCOUNTS: "sourcing",
    CueKind.SWEEPING: "hedging-vs-assertion",
    CueKind.OPINION: "fact-vs-opinion",
    CueKind.EDITED_QUOTE: "sourcing",
    CueKind.NAME_VARIANT: "precision",
}

# How much each kind is worth an item. A vague source, a conflict or an unsupported
# headline is nearly always a teaching point; a date alone seldom is.
WEIGHTS: Final = {
    CueKind.HEADLINE: 3.0,
    CueKind.CONFLICT: 3.0,
    CueKind.VAGUE_SOURCE: 3.0,
    CueKind.PASSIVE_SOURCE: 2.5,
    CueKind.NAMED_SOURCE: 1.5,
    CueKind.JUDGING_VERB: 1.5,
    CueKind.UNSOURCED_FIGURE: 1.0,
    CueKind.HEDGE: 2.0,
    CueKind.FLAT: 1.5,
    CueKind.FIGURE: 1.5,
    CueKind.MONEY: 3.0,
    CueKind.DATE: 0.5,
    CueKind.LOADED: 0.75,
    CueKind.LINK: 1.5,
    CueKind.INSINUATION: 2.5,
    CueKind.RIVAL_ACCOUNTS: 2.0,
    CueKind.SWEEPING: 2.0,
    CueKind.OPINION: 2.0,
    CueKind.EDITED_QUOTE: 2.5,
    CueKind.NAME_VARIANT: 4.0,
}
# A source the text itself calls anonymous is vaguer still.
ANONYMOUS_BONUS: Final = 1.0
_ANONYMOUS: Final = re.compile(r"\b(?:anonymous|unnamed|unidentified)\b", re.IGNORECASE)

# --- the words of the rules ------------------------------------------------------------------
# Grammar, not topic: verbs of saying, hedges, connectives. The emotive words come from the
# published lexicon the caller passes, never from a list here.

_SAYING = (
    r"say|says|said|saying|tell|tells|told|according to|claim|claims|claimed|claiming|"
    r"reveal|reveals|revealed|stated|announce|announces|announced|report|"
    r"reports|reported|deny|denies|denied|indicate|indicates|indicated|estimate|estimates|"
    r"estimated|describe|describes|described|confirm|confirms|confirmed|add|adds|added|"
    r"note|notes|noted|explain|explains|explained|warn|warns|warned|argue|argues|argued|"
    r"insist|insists|insisted|admit|admits|admitted|accuse|accuses|accused|allege|"
    r"alleges|alleged|believe|believes|believed|suggest|suggests|suggested|speculate|"
    r"speculates|speculated|conclude|concludes|concluded|found|finds|show|shows|showed|"
    r"write|writes|wrote|ascribe|ascribed|blame|blames|blamed|promise|promises|promised"
)
_SAYING_RE: Final = re.compile(rf"\b(?:{_SAYING})\b", re.IGNORECASE)
# Verbs that tell the reader what to think of what is reported (compare "claimed").
_JUDGING: Final = frozenset(
    {"revealed", "reveals", "admitted", "admits", "conceded", "concedes", "exposed", "proved",
     "proves", "confessed", "confirmed", "confirms"}
)  # fmt: skip
_VAGUE_RE: Final = re.compile(
    r"\b(?:(?:a|an|some|many|several|other|unnamed|anonymous|certain|its|their|his|her|"
    r"one|two|three|various|local|state|western|foreign)\s+)?(?:(?:[a-z]+)\s+)?"
    r"(?:reports?|sources?|analys[ie]s|analysts?|experts?|officials?|observers?|critics?|"
    r"insiders?|commentators?|witnesses|studies|researchers|speculation|rumou?rs?|"
    r"media|the press|people familiar)\b",
    re.IGNORECASE,
)
_PASSIVE_RE: Final = re.compile(
    r"\b(?:is|are|was|were|be|been|being)(?:\s+\w+){0,3}?\s+(?:said|believed|thought|alleged|"
    r"reported|claimed|accused|deemed|considered|rumou?red|understood|suspected|described|"
    r"seen|expected)\b(?!\s+by\s+[A-Z])",
    re.IGNORECASE,
)
HEDGE_RE: Final = re.compile(
    r"\b(?:may|might|could|seems?|seemed|appears?|appeared|apparently|suggests?|suggested|"
    r"allegedly|alleged|reportedly|probably|possibly|likely|unlikely|presumably|perhaps|"
    r"supposedly|purportedly|speculation|speculated|speculate|suspected|believed?|"
    r"sounds like|not clear|unclear|unconfirmed|unverified)\b",
    re.IGNORECASE,
)
_LINK_RE: Final = re.compile(
    r"\b(?:led to|leads? to|caused|causes|because|due to|as a result|resulting in|"
    r"result of|thanks to|coincidentally|triggered|trigger for|blamed on|linked to|"
    r"in retaliation|so that)\b",
    re.IGNORECASE,
)
# Suspicion voiced by the writer, and two events placed side by side in time or place: the
# reader is left to draw a link the text never states.
_INSINUATION_RE: Final = re.compile(
    r"\b(?:suspicious(?:ly)?|conveniently|curiously|tellingly|no coincidence|"
    r"not a coincidence|raises? (?:questions|eyebrows|suspicions?)|it is no secret|"
    r"within [\w,.-]+ (?:\w+ )?of each other|at the same time|"
    r"on the same (?:day|night|morning|evening|street|site)|"
    r"(?:minutes|hours|days|weeks) (?:after|before)|shortly (?:after|before))\b",
    re.IGNORECASE,
)
_CONTRAST_RE: Final = re.compile(
    r"\b(?:despite|while|whereas|although|though|but|however|yet)\b", re.IGNORECASE
)
# A claim about how often or how long, with no figure or source behind it.
_SWEEPING_RE: Final = re.compile(
    r"\b(?:(?:has|have|had) long|for (?:years|decades|centuries)|always|routinely|"
    r"habitually|notoriously|frequently|invariably|(?:is|are|was|were) known (?:to|for)|"
    r"well[- ]known|everyone knows)\b",
    re.IGNORECASE,
)
# The writer telling the reader what ought to be: an opinion in a news text.
_OPINION_RE: Final = re.compile(r"\b(?:should|must|ought to)\b", re.IGNORECASE)
_QUOTED_RE: Final = re.compile(r"[\"“][^\"”]*[\"”]")
_EDITED_QUOTE_RE: Final = re.compile(r"[\"“][^\"”]*\[[^\]\"”]{1,40}\][^\"”]*[\"”]")

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_RE: Final = re.compile(
    rf"\b(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?(?:,?\s+\d{{4}})?|"
    rf"(?:in|since|until|by|of)\s+(?:(?:{_MONTHS})\s+)?(?:1[89]|20)\d\d)\b",
    re.IGNORECASE,
)
_YEAR_RE: Final = re.compile(r"^(?:1[89]|20)\d\d$")
_CURRENCY = (
    r"dollars?|euros?|pounds?|rubles?|roubles?|yen|yuan|rupees?|francs?|pesos?|riyals?|"
    r"dirhams?|won|shekels?|usd|eur|gbp|cents?"
)
_MONEY_RE: Final = re.compile(
    rf"(?:[$€£¥₹₽]\s?\d[\d,.]*(?:\s?(?:million|billion|trillion|bn|m)\b)?|"
    rf"\b\d[\d,.]*\s?(?:(?:million|billion|trillion)\s+)?(?:{_CURRENCY})\b|"
    rf"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|a|hundreds? of|thousands? of)"
    rf"\s+(?:hundred|thousand|million|billion)\s+(?:{_CURRENCY})\b)",
    re.IGNORECASE,
)
_PERCENT_RE: Final = re.compile(r"\d\s?%|\bper\s?cent\b|\bpercent\b", re.IGNORECASE)
NUMBER_WORDS: Final = frozenset(
    (  # noqa: SIM905 (a sentence of words reads better than a column)
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
        "eighty ninety hundred hundreds thousand thousands million millions billion billions "
        "dozen dozens"
    ).split()
)
# Units of time and distance: a count of them is a span, not a count of people or things.
_SPANS: Final = frozenset(
    (  # noqa: SIM905 (a sentence of words reads better than a column)
        "second seconds minute minutes hour hours day days week weeks month months year years "
        "decade decades century centuries mile miles kilometre kilometres kilometer "
        "kilometers km metre metres meter meters times percent"
    ).split()
)
# What a casualty figure counts, whichever word the sentence uses for it.
_CASUALTY = re.compile(r"^(?:dead|death|deaths|died|die|killed|kill|toll|fatalit\w*|lives)$")
# Function words skipped when looking for what a figure counts.
_SKIP = frozenset(
    (  # noqa: SIM905 (a sentence of words reads better than a column)
        "of the a an and or to than more less some about around nearly almost over under at "
        "least most were was are is be been had have has who which that as in on by for with "
        "from"
    ).split()
)
_NAME_MIN_LETTERS: Final = 6


def sentence_cues(
    sentence: Sentence, lexicon: Mapping[str, float], *, loaded_threshold: float
) -> list[Cue]:
    """The cues of one sentence (the headline's and the pairs' come from `pairs.py`)."""
    text = sentence.text
    cues: list[Cue] = []
    index = sentence.index

    # A headline's "Alleged" is a hedge, not a verb of saying.
    named = None if sentence.headline else _named_source(sentence)
    vague = _VAGUE_RE.search(text)
    passive = _PASSIVE_RE.search(text)
    if vague:
        bonus = ANONYMOUS_BONUS if _ANONYMOUS.search(text) else 0.0
        weight = WEIGHTS[CueKind.VAGUE_SOURCE] + bonus
        cues.append(Cue(CueKind.VAGUE_SOURCE, index, vague.group().strip(), weight))
    elif passive:
        cues.append(_cue(CueKind.PASSIVE_SOURCE, index, passive.group().strip()))
    if named is not None:
        # Beside a vague source, a named one sets two sources against each other.
        cues.append(_cue(CueKind.NAMED_SOURCE, index, named))
    judging = [t.text for t in sentence.words if t.lower in _JUDGING]
    if judging and (named is not None or vague):
        cues.append(_cue(CueKind.JUDGING_VERB, index, judging[0]))

    hedge = next(hedges(text), None)
    if hedge:
        cues.append(_cue(CueKind.HEDGE, index, hedge.group()))

    figures = figures_of(sentence)
    money = _MONEY_RE.search(text)
    if money:
        cues.append(_cue(CueKind.MONEY, index, money.group().strip()))
    counted = [f for f in figures if f.counts.lower() not in _SPANS]
    if counted:
        # Each further figure adds to the weight: sentences dense with numbers invite checks.
        weight = WEIGHTS[CueKind.FIGURE] + 0.25 * min(len(counted) - 1, 2)
        cues.append(Cue(CueKind.FIGURE, index, counted[0].number, weight, counted[0].counts))
    elif _PERCENT_RE.search(text):
        cues.append(_cue(CueKind.FIGURE, index, _PERCENT_RE.search(text).group()))  # type: ignore[union-attr]
    dates = _DATE_RE.search(text)
    if dates and not counted and not money:
        cues.append(_cue(CueKind.DATE, index, dates.group().strip()))
    # Any verb of saying gives the figure someone ("police said"), named or not.
    if (counted or money) and not (vague or passive or named or _SAYING_RE.search(text)):
        focus = money.group().strip() if money else counted[0].number
        cues.append(_cue(CueKind.UNSOURCED_FIGURE, index, focus))

    loaded = loaded_words(sentence, lexicon, threshold=loaded_threshold)
    if loaded:
        strongest = max(abs(lexicon[w.lower]) for w in loaded)
        weight = WEIGHTS[CueKind.LOADED] + 0.25 * min(len(loaded) - 1, 2) + 0.1 * strongest
        focus = ", ".join(dict.fromkeys(w.text for w in loaded))
        cues.append(Cue(CueKind.LOADED, index, focus, weight))

    link = _LINK_RE.search(text)
    if link:
        cues.append(_cue(CueKind.LINK, index, link.group()))
    insinuation = _INSINUATION_RE.search(text)
    if insinuation:
        cues.append(_cue(CueKind.INSINUATION, index, insinuation.group()))
    rival = _rival_accounts(text)
    if rival:
        cues.append(_cue(CueKind.RIVAL_ACCOUNTS, index, rival))
    sweeping = _SWEEPING_RE.search(text)
    if sweeping:
        cues.append(_cue(CueKind.SWEEPING, index, sweeping.group()))
    # A "should" inside quotation marks or beside a verb of saying is someone else's.
    unquoted = _QUOTED_RE.sub(" ", text)
    opinion = _OPINION_RE.search(unquoted)
    if opinion and not _SAYING_RE.search(unquoted):
        cues.append(_cue(CueKind.OPINION, index, opinion.group()))
    edited = _EDITED_QUOTE_RE.search(text)
    if edited:
        bracket = re.search(r"\[[^\]]+\]", edited.group())
        cues.append(_cue(CueKind.EDITED_QUOTE, index, bracket.group() if bracket else "[…]"))
    return cues


def _rival_accounts(text: str) -> str | None:
    """The contrast word between two different verbs of saying, if any."""
    for before, after in pairwise(_SAYING_RE.finditer(text)):
        if before.group().lower() == after.group().lower():
            continue  # "said ... but said": one source going on
        contrast = _CONTRAST_RE.search(text, before.end(), after.start())
        if contrast:
            return contrast.group()
    return None


def hedges(text: str) -> Iterator[re.Match[str]]:
    """The hedges of a text; "May" with a capital is the month."""
    return (m for m in HEDGE_RE.finditer(text) if m.group() != "May")


def _cue(kind: CueKind, sentence: int, focus: str) -> Cue:
    return Cue(kind, sentence, focus, WEIGHTS[kind])


_ACCORDING_RE: Final = re.compile(
    r"\baccording to ((?:the\s+)?[\w'’.-]+(?:\s+(?!(?:that|who|which)\b)[a-z][\w'’.-]*){0,2})"
)


def _named_source(sentence: Sentence) -> str | None:
    """The name near a verb of saying (a person, a body, an outlet), or None."""
    according = _ACCORDING_RE.search(sentence.text)
    if according:
        return according.group(1).rstrip(".")
    saying = _SAYING_RE.search(sentence.text)
    if saying is None:
        return None
    names = [
        (name, start)
        for name, start in names_in(sentence.words)
        if not start <= saying.start() < start + len(name)
    ]
    if not names:
        return None
    # The name closest to the verb is the one it belongs to.
    return min(names, key=lambda name: abs(name[1] - saying.start()))[0]


_CALENDAR: Final = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
    | set(_MONTHS.replace("|may|", "|").split("|"))
)


def names_in(words: Sequence[Token]) -> list[tuple[str, int]]:
    """Runs of capitalised words (not only the sentence's first word), with where they start.

    Days and months are not names.
    """
    runs: list[tuple[str, int]] = []
    current: list[Token] = []
    for position, token in enumerate([*words, Token("x", -1)]):
        capital = (
            token.is_capitalised
            and not token.is_number
            and token.start >= 0
            and token.lower not in _CALENDAR
        )
        if capital and not (position == 0 and len(words) > 1 and not words[1].is_capitalised):
            current.append(token)
            continue
        if current:
            runs.append((" ".join(t.text for t in current), current[0].start))
            current = []
    return runs


@dataclass(frozen=True)
class Figure:
    """A figure as written, the word for what it counts, and that word made comparable."""

    number: str
    counts: str  # "Israelis", "rockets"; "" when no word is near
    key: str  # "israeli", "rocket"; "deaths" for any casualty figure
    # The other words of its clause, cut to their first letters: what it says about the
    # thing counted ("home to over 1,000 people" against "68 people were missing").
    context: frozenset[str] = frozenset()

    @property
    def is_span(self) -> bool:
        """Whether it measures time or distance ("24 hours"), not a number of things."""
        return self.counts.lower() in _SPANS

    @property
    def group(self) -> str:
        """The named group it counts ("Israelis", "Thais"), or "" for a common noun."""
        return self.counts if self.counts[:1].isupper() else ""


def figures_of(sentence: Sentence) -> list[Figure]:
    """Each figure of the sentence (in digits or words) with what it counts.

    Years, dates, sums of money (a cue of their own) and ordinals ("the 7th") are not
    figures, nor is "one" unless it counts the dead; a casualty figure counts "deaths"
    whichever word the sentence uses ("dead", "killed", "death toll").
    """
    words, text = sentence.words, sentence.text
    skipped = [m.span() for m in _DATE_RE.finditer(text)]
    skipped += [m.span() for m in _MONEY_RE.finditer(text)]
    found: list[Figure] = []
    for position, token in enumerate(words):
        number = token.is_number or token.lower in NUMBER_WORDS
        if not number or _YEAR_RE.match(token.text):
            continue
        after = token.start + len(token.text)
        if any(start <= token.start < end for start, end in skipped) or _ORDINAL.match(
            text, after
        ):
            continue
        if position + 1 < len(words):
            following = words[position + 1]
            if following.is_number or following.lower in NUMBER_WORDS:
                continue  # "one million", "12 million": the figure is the last word of it
        figure = _counted(text, token.text, words, position)
        if token.lower == "one" and figure.key != "deaths":
            continue  # "one speculation", "one of them"
        found.append(figure)
    return found


# An ordinal ("the 7th") or a time of day ("6am", "10:30") is no count of anything.
_ORDINAL: Final = re.compile(r"(?:st|nd|rd|th|am|pm|a\.m\.|p\.m\.)\b|:\d")
# A clause ends here: "240 homes and killed 3 people" are two counts.
_CLAUSE_END: Final = re.compile(r"[,;:()]|\b(?:and|but|or|while|whereas)\b")
_REACH: Final = 4  # words before or after a figure that may say what it counts
_CONTEXT_LETTERS: Final = 5  # "missing" and "missed" are one word to compare
_CONTEXT_MIN: Final = 3


def _clause(text: str, words: Sequence[Token], position: int) -> list[Token]:
    """The words within reach of the figure at `position`, in its own clause."""
    token = words[position]
    near: list[Token] = []
    for other in reversed(words[max(0, position - _REACH) : position]):
        if _CLAUSE_END.search(text, other.start + len(other.text), token.start):
            break
        near.append(other)
    for other in words[position + 1 : position + 1 + _REACH]:
        if _CLAUSE_END.search(text, token.start + len(token.text), other.start):
            break
        near.append(other)
    return near


def _counted(text: str, number: str, words: Sequence[Token], position: int) -> Figure:
    """The figure at `position` with the word for what it counts."""
    # "killed around 1,200", "the death toll from fourteen to 31", "20 Thais were dead".
    clause = _clause(text, words, position)
    casualty = next((t.text for t in clause if _CASUALTY.match(t.lower)), None)
    for token in words[position + 1 : position + 6]:
        if token.is_number or token.lower in NUMBER_WORDS or token.lower in _SKIP:
            continue
        key = token.lower.removesuffix("'s")
        key = key.removesuffix("s") if len(key) > 3 else key
        context = _context(clause, token.lower)
        return Figure(number, token.text, "deaths" if casualty else key, context)
    return Figure(number, casualty or "", "deaths" if casualty else "", _context(clause, ""))


def _context(clause: Sequence[Token], counted: str) -> frozenset[str]:
    return frozenset(
        t.lower[:_CONTEXT_LETTERS]
        for t in clause
        if not t.is_number
        and t.lower not in NUMBER_WORDS
        and t.lower not in _SKIP
        and t.lower != counted
        and len(t.text) >= _CONTEXT_MIN
    )


def loaded_words(
    sentence: Sentence, lexicon: Mapping[str, float], *, threshold: float
) -> list[Token]:
    """The sentence's words whose rating in the lexicon is at least `threshold` either way."""
    return [t for t in sentence.words if abs(lexicon.get(t.lower, 0.0)) >= threshold]


def name_variants(sentences: Sequence[Sentence]) -> list[Cue]:
    """Names spelt two ways: a rarer spelling one letter away from a commoner one.

    Inflections ("Korea", "Korean"; "Israel", "Israel's") are prefixes of each other and do
    not count.
    """
    counts: Counter[str] = Counter()
    where: dict[str, list[int]] = {}
    for sentence in sentences:
        for name, _ in names_in(sentence.words):
            for word in name.split():
                if len(word) >= _NAME_MIN_LETTERS and word.isalpha():
                    counts[word] += 1
                    where.setdefault(word, []).append(sentence.index)
    cues: list[Cue] = []
    names = sorted(counts, key=lambda w: (-counts[w], w))
    for rare in names:
        for common in names:
            if counts[common] <= counts[rare] or common[0] != rare[0]:
                continue
            if common.startswith(rare) or rare.startswith(common):
                continue
            if len(common) == len(rare) and _one_letter_apart(common, rare):
                cues.extend(
                    Cue(CueKind.NAME_VARIANT, index, rare, WEIGHTS[CueKind.NAME_VARIANT], common)
                    for index in dict.fromkeys(where[rare])
                )
                break
    return cues


def _one_letter_apart(a: str, b: str) -> bool:
    return sum(1 for x, y in zip(a, b, strict=True) if x != y) == 1
