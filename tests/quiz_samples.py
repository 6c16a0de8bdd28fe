"""Small quiz files for tests: valid ones, and the usual ways instructors break them."""

from __future__ import annotations

import textwrap

SOURCE = (
    "The city council approved a new bike lane on Main Street on Monday, according to the "
    "council's published minutes. Critics say the lane will ruin local shops. The mayor said "
    "traffic deaths fell by half in cities that built similar lanes."
)


def quiz_yaml(
    slug: str = "bike-lane",
    *,
    title: str = "Bike lane news",
    question: str = "Does the passage say where the information comes from?",
    extra_item: bool = False,
) -> str:
    """A valid quiz with its source text inline (as an upload in the chat needs)."""
    text = textwrap.dedent(
        f"""\
        # yaml-language-server: $schema=../docs/quiz.schema.json
        id: {slug}
        title: {title}
        language: en
        source:
          title: Council approves bike lane
          publisher: Local Gazette
          text: |
            {SOURCE}
        items:
          - id: q1
            skill: sourcing
            verdict: sound
            passage: "according to the council's published minutes"
            question: {question}
            options:
              - text: "Yes: a record anyone can read"
                correct: true
              - text: "No: it gives no source"
                feedback: Look at the end of the sentence.
                judgement: flawed
            explanation: The minutes are a public record anyone can check.
          - id: q2
            skill: vague-attribution
            verdict: flawed
            passage: Critics say the lane will ruin local shops.
            question: Who are the critics?
            options:
              - text: The passage does not say
                correct: true
              - text: The shop owners on Main Street
                feedback: Shops are what the critics talk about, not who they are.
                judgement: sound
            explanation: '"Critics say" names nobody, so the claim cannot be checked.'
        """
    )
    if extra_item:
        text += textwrap.indent(
            textwrap.dedent(
                """\
                - id: q3
                  skill: numbers-and-currency
                  verdict: flawed
                  passage: traffic deaths fell by half
                  question: Is the figure sourced?
                  options:
                    - text: "No: no study or city is named"
                      correct: true
                    - text: "Yes: the mayor's office"
                      feedback: The mayor repeats the figure; he names no study.
                      judgement: sound
                  explanation: The mayor gives no study, city or period for the figure.
                """
            ),
            "  ",
        )
    return text


BRIDGE = (
    "The bridge opened in 1990, the city says. Traffic on it has doubled since then. It carries "
    "40,000 cars a day. The bridge opened in 1992, according to a plaque on it. Repairs cost "
    "3 million euros last year."
)


def contradiction_quiz_yaml(slug: str = "bridge") -> str:
    """A quiz whose first item is a "find the contradiction" with its key third of four."""
    return textwrap.dedent(
        f"""\
        id: {slug}
        title: The bridge
        source:
          title: The old bridge
          text: |
            {BRIDGE}
        items:
          - id: opened
            kind: contradiction
            skill: internal-consistency
            verdict: flawed
            passage: The bridge opened in 1990
            question: Which other passage conflicts with this one?
            options:
              - text: Traffic on it has doubled since then
                feedback: More traffic fits a bridge of any age.
                judgement: neither
              - text: It carries 40,000 cars a day
                feedback: This counts cars, not years.
                judgement: neither
              - text: The bridge opened in 1992
                correct: true
              - text: Repairs cost 3 million euros last year
                feedback: A repair says nothing about the opening.
                judgement: neither
            explanation: The first passage and the third give two years for one opening.
        """
    )


def broken_quiz_yaml(slug: str = "bike-lane") -> str:
    """A quiz with three errors: an unknown skill, a misquoted passage, a missing question."""
    text = quiz_yaml(slug)
    text = text.replace("skill: sourcing", "skill: sourcin")
    text = text.replace(
        'passage: "according to the council\'s published minutes"',
        'passage: "according to the council\'s secret minutes"',
    )
    return text.replace("    question: Who are the critics?\n", "")


# The values of `colon_quiz_yaml` that hold an unquoted ': ' (or end with ':'), by a marker
# that finds their lines.
COLON_SLIPS = (
    "Bike lane news: a test",
    "Where does it come from:",
    "anyone can check: it is",
    "Critics: who are they?",
    "Not said: no one is named",
)


def colon_quiz_yaml(slug: str = "bike-lane") -> str:
    """The valid quiz with five unquoted ': ' slips, and ': ' also where it is harmless.

    Harmless: in comments, in quoted values (one over two lines), in a literal (|) and a
    folded (>) block.
    """
    text = quiz_yaml(slug, title="Bike lane news: a test", question="Where does it come from:")
    replacements = {
        "language: en\n": (
            "language: en  # note: English\n"
            "description: |\n  A block: with a colon.\n"
            "# Sources: one article\n"
        ),
        "  publisher: Local Gazette\n": (
            "  publisher: Local Gazette\n  author: >\n    A. Reporter: staff\n"
        ),
        "    explanation: The minutes are a public record anyone can check.\n": (
            "    explanation: The minutes are a public record\n"
            "      anyone can check: it is online.\n"
        ),
        "    question: Who are the critics?\n": "    question: Critics: who are they?\n",
        "      - text: The passage does not say\n": "      - text: Not said: no one is named\n",
        "    explanation: '\"Critics say\" names nobody, so the claim cannot be checked.'\n": (
            '    explanation: \'"Critics say" names nobody,\n'
            "      so the claim: it cannot be checked.'\n"
        ),
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the first line of `text` that contains `marker`."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if marker in line)
