"""The draft quiz file: skeletons as items, with "TODO" where only a person can write.

The file validates as a quiz except for its placeholders (`quizfile/placeholders.py`):
options, feedback, explanations, verdicts and judgements. Each item has the cues that
proposed it in a comment above it; comments are not part of the quiz, so deleting them
changes nothing. The article's text goes in verbatim (`source.text`), so the file works
the same in the chat, where a file has no folder beside it, and in a terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Final

from bot.domain.draft.article import Article
from bot.domain.draft.cues import Cue, CueKind
from bot.domain.draft.skeletons import Skeleton, cut
from bot.domain.limits import OPTION_TEXT_MAX
from bot.domain.quizfile.placeholders import PLACEHOLDER

_SLUG_MAX: Final = 50
_TITLE_MAX: Final = 200

RIGHT = f"{PLACEHOLDER}: write the right answer"
WRONG = f"{PLACEHOLDER}: write a wrong answer that a real reader might choose"
WRONG_AGAIN = f"{PLACEHOLDER}: write another wrong answer, a different mistake"
FEEDBACK = f"{PLACEHOLDER}: say why a reader might choose this, and what the passage shows"
EXPLANATION = f"{PLACEHOLDER}: explain why the right answer is right, saying whose facts you use"
OTHER_PASSAGE = f"{PLACEHOLDER}: quote another passage of the article, one that does not conflict"
JUDGING_WORD = f"{PLACEHOLDER}: a word of the passage that judges rather than describes"
PLAIN_WORD = f"{PLACEHOLDER}: a word of the passage that only describes"


def quiz_id(title: str) -> str:
    """A quiz id from the article's title ("draft-quiz" when it has no letters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(slug) > _SLUG_MAX:
        slug = slug[:_SLUG_MAX].rsplit("-", 1)[0]
    return slug or "draft-quiz"


def _q(text: str) -> str:
    # A JSON string is a YAML double-quoted scalar: every character survives as written.
    return json.dumps(text, ensure_ascii=False)


def _quoted(words: str) -> str:
    return ", ".join(f'"{w.strip()}"' for w in words.split(",") if w.strip())


def describe_cue(cue: Cue, skeleton: Skeleton) -> str:
    """The cue in a few words, for the comment above its item."""
    focus, detail = cue.focus, cue.detail
    match cue.kind:
        case CueKind.HEADLINE:
            if focus:
                return f"headline words the body never uses: {_quoted(focus)}"
            return "the headline (its words all appear in the body)"
        case CueKind.CONFLICT:
            return f"may conflict with another passage: {skeleton.pair_focus}"
        case CueKind.VAGUE_SOURCE:
            return f'vague source "{focus}"'
        case CueKind.PASSIVE_SOURCE:
            return f'nobody named: "{focus}"'
        case CueKind.NAMED_SOURCE:
            return f"named source: {focus}"
        case CueKind.JUDGING_VERB:
            return f'the verb "{focus}" judges what it reports'
        case CueKind.UNSOURCED_FIGURE:
            return f"a figure with no source: {focus}"
        case CueKind.HEDGE:
            return f'hedge "{focus}"'
        case CueKind.FLAT:
            return f'stated flatly, while another sentence hedges {focus} ("{detail}")'
        case CueKind.FIGURE:
            return f"figure {focus}" + (f" ({detail})" if detail else "")
        case CueKind.MONEY:
            return f"money: {focus}"
        case CueKind.DATE:
            return f"date: {focus}"
        case CueKind.LOADED:
            return f"strongly rated words (VADER lexicon): {focus}"
        case CueKind.LINK:
            return f'a link between events: "{focus}"'
        case CueKind.INSINUATION:
            return f'words that hint at a link: "{focus}"'
        case CueKind.RIVAL_ACCOUNTS:
            return f'two accounts set against each other with "{focus}"'
        case CueKind.SWEEPING:
            return f'a sweeping claim with no figure or source: "{focus}"'
        case CueKind.OPINION:
            return f'the writer\'s own "{focus}": an opinion'
        case CueKind.EDITED_QUOTE:
            return f"words in square brackets inside a quotation: {focus}"
        case CueKind.NAME_VARIANT:
            return f'"{focus}" is spelt "{detail}" elsewhere in the article'
    return str(cue.kind)


def question(skeleton: Skeleton) -> str:
    """The suggested question of a skeleton."""
    primary = skeleton.primary
    if primary is None:
        return "Which of these other passages of the article conflicts with this one?"
    focus, detail = primary.focus, primary.detail
    match primary.kind:
        case CueKind.HEADLINE if focus:
            return f"Does the body of the article support the headline's words {_quoted(focus)}?"
        case CueKind.HEADLINE:
            return "Does the body of the article support the headline?"
        case CueKind.VAGUE_SOURCE:
            return f'The passage relies on "{focus}". What does that tell you about its source?'
        case CueKind.PASSIVE_SOURCE:
            return f'"{focus}": who says so, according to the text?'
        case CueKind.JUDGING_VERB:
            return f'Does the word "{focus}" only report what the source said, or also judge it?'
        case CueKind.UNSOURCED_FIGURE:
            return f'Where does the figure "{focus}" come from, according to the text?'
        case CueKind.HEDGE:
            return f'How sure is this claim ("{focus}"), and does the article give reason to be?'
        case CueKind.FLAT:
            return (
                f'The passage states this as fact, while elsewhere the article says "{detail}". '
                "Which fits the evidence the article gives?"
            )
        case CueKind.FIGURE if detail:
            return f'Who counted the figure "{focus}" ({detail}), how, and when?'
        case CueKind.FIGURE:
            return f'What does the figure "{focus}" count, who counted it, and when?'
        case CueKind.MONEY:
            return f'What is "{focus}" for, who says so, and can a reader check it?'
        case CueKind.DATE:
            return f'Can a reader check the date "{focus}", and does it matter to the claim?'
        case CueKind.LOADED:
            return "Which words in this passage judge rather than describe? Choose all that apply."
        case CueKind.LINK:
            return (
                f'The passage links events with "{focus}". Does the article show that link, '
                "or only suggest it?"
            )
        case CueKind.INSINUATION:
            return f'"{focus}": what link does the passage hint at, and does the article show it?'
        case CueKind.RIVAL_ACCOUNTS:
            return (
                f'The passage sets two accounts against each other with "{focus}". '
                "Does it give them equal weight, and should it?"
            )
        case CueKind.SWEEPING:
            return f'"{focus}": what evidence does the article give for this, and from whom?'
        case CueKind.OPINION:
            return f'"{focus}": is this passage reporting a fact or giving an opinion?'
        case CueKind.EDITED_QUOTE:
            return f'What does "{focus}" in the quotation tell you about who wrote those words?'
        case CueKind.NAME_VARIANT:
            return (
                f'The passage writes "{focus}", and elsewhere the article writes "{detail}". '
                "What does that tell a careful reader?"
            )
    return "Who stands behind this claim, and how does the text report it?"


def _kind(skeleton: Skeleton) -> str:
    if skeleton.partner is not None:
        return "contradiction"
    primary = skeleton.primary
    return "multiple" if primary is not None and primary.kind is CueKind.LOADED else "single"


def _options(skeleton: Skeleton, kind: str) -> list[str]:
    judgement = f"    judgement: {PLACEHOLDER}  # sound, flawed or neither"
    wrong = [
        f"  - text: {_q(WRONG)}",
        judgement,
        f"    feedback: {_q(FEEDBACK)}",
        f"  - text: {_q(WRONG_AGAIN)}",
        judgement,
        f"    feedback: {_q(FEEDBACK)}",
    ]
    if kind == "contradiction" and skeleton.partner is not None:
        return [
            f"  - text: {_q(cut(skeleton.partner.text, OPTION_TEXT_MAX * 2))}",
            "    correct: true",
            f"  - text: {_q(OTHER_PASSAGE + ' (1)')}",
            judgement,
            f"    feedback: {_q(FEEDBACK)}",
            f"  - text: {_q(OTHER_PASSAGE + ' (2)')}",
            judgement,
            f"    feedback: {_q(FEEDBACK)}",
        ]
    if kind == "multiple":
        return [
            f"  - text: {_q(JUDGING_WORD + ' (1)')}",
            "    correct: true",
            f"  - text: {_q(JUDGING_WORD + ' (2)')}",
            "    correct: true",
            f"  - text: {_q(PLAIN_WORD + ' (1)')}",
            judgement,
            f"    feedback: {_q(FEEDBACK)}",
            f"  - text: {_q(PLAIN_WORD + ' (2)')}",
            judgement,
            f"    feedback: {_q(FEEDBACK)}",
        ]
    return [f"  - text: {_q(RIGHT)}", "    correct: true", *wrong]


def _item(number: int, skeleton: Skeleton) -> list[str]:
    kind = _kind(skeleton)
    cues = "; ".join(dict.fromkeys(describe_cue(c, skeleton) for c in skeleton.cues))
    lines = [f"# {number}. Found: {_one_line(cues)}"]
    if skeleton.primary is not None and skeleton.primary.kind is CueKind.LOADED:
        lines.append("# Tick at least one word; the lexicon's words are only a start.")
    lines += [
        f"- id: d{number:02d}-{skeleton.skill}",
        f"  kind: {kind}",
        f"  skill: {skeleton.skill}",
        f"  passage: {_q(skeleton.passage)}",
        f"  question: {_q(question(skeleton))}",
        f"  verdict: {PLACEHOLDER}  # sound or flawed",
        "  options:",
        *_options(skeleton, kind),
        f"  explanation: {_q(EXPLANATION)}",
        "",
    ]
    return lines


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def literal_block(text: str, indent: int) -> list[str]:
    """`text` as the lines of a YAML literal block scalar indented by `indent` spaces."""
    pad = " " * indent
    return [pad + line if line.strip() else "" for line in text.split("\n")]


def draft_yaml(article: Article, skeletons: Sequence[Skeleton], *, source_name: str) -> str:
    """The draft quiz file for `article` with one item per skeleton."""
    title = _one_line(article.title)[:_TITLE_MAX] or "Draft quiz"
    lines = [
        f"# A draft quiz made by `quizbot quiz draft` from {_one_line(source_name)}.",
        f'# Yours to write: every "{PLACEHOLDER}" (options, feedback, explanations, verdicts and',
        "# judgements). `quizbot quiz validate` lists each one with its line, and the file cannot",
        "# be imported while one is left. Delete the items you do not want and change any",
        "# question; keep each passage as it is, quoted from the article at the end of the file.",
        "# Above each item: the cues that proposed it.",
        f"id: {quiz_id(title)}",
        f"title: {_q(title)}",
        "language: en",
        "items:",
        "",
    ]
    for number, skeleton in enumerate(skeletons, start=1):
        lines += _item(number, skeleton)
    lines += ["# The article, as it was read. Keep it as it is: the passages are quoted from it."]
    lines += ["source:", f"  title: {_q(title)}"]
    for field, value in (
        ("publisher", article.publisher),
        ("author", article.author),
        ("date", article.date),
        ("url", article.url),
    ):
        if value and value.strip():
            lines.append(f"  {field}: {_q(_one_line(value))}")
    # The indentation is given (|2): an article whose first line starts with spaces would
    # otherwise set it. "-" drops the final line break, which no passage needs.
    lines += ["  text: |2-", *literal_block(article.text, 4)]
    return "\n".join(lines) + "\n"
