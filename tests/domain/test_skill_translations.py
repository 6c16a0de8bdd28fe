"""The skill catalogue's translations: checked like the English, in known languages only."""

from __future__ import annotations

import textwrap

from bot.domain.limits import LESSON_MAX
from bot.domain.quizfile.checks import validate_skill_catalogue


def _catalogue(translations: str) -> str:
    return textwrap.dedent(
        """\
        skills:
          - id: sourcing
            name: Who says so?
            definition: Who stands behind a claim.
            lesson: Look for a name and a date.
        """
    ) + textwrap.indent(textwrap.dedent(translations), "    ")


def test_a_translation_is_read_with_its_skill() -> None:
    catalogue, problems = validate_skill_catalogue(
        _catalogue(
            """\
            translations:
              km:
                name: អ្នកណាជាអ្នកនិយាយ?
                definition: រកអ្នកដែលនៅពីក្រោយការអះអាង។
                lesson: រកឈ្មោះ និងកាលបរិច្ឆេទ។
            """
        ),
        file="skills.yaml",
    )
    assert problems == ()
    assert catalogue is not None
    assert catalogue.skills[0].translations["km"].name == "អ្នកណាជាអ្នកនិយាយ?"


def test_an_unknown_language_or_a_missing_part_is_an_error_at_its_line() -> None:
    catalogue, problems = validate_skill_catalogue(
        _catalogue(
            """\
            translations:
              fr:
                name: Qui le dit ?
                definition: Qui est derrière une affirmation.
                lesson: Cherchez un nom et une date.
              km:
                name: អ្នកណាជាអ្នកនិយាយ?
            """
        ),
        file="skills.yaml",
    )
    assert catalogue is None
    assert {p.line for p in problems if p.severity == "error"} >= {7, 11}


def test_a_translated_lesson_has_the_same_limit() -> None:
    long = "ក" * (LESSON_MAX + 1)
    catalogue, problems = validate_skill_catalogue(
        _catalogue(
            f"""\
            translations:
              km:
                name: អ្នកណាជាអ្នកនិយាយ?
                definition: រកអ្នកដែលនៅពីក្រោយការអះអាង។
                lesson: {long}
            """
        ),
        file="skills.yaml",
    )
    assert catalogue is None
    (problem,) = problems
    assert (problem.line, problem.severity) == (10, "error")
    assert "(km)" in problem.message
