"""The JSON Schema of the quiz format, for editors that check files as they are typed."""

from __future__ import annotations

from typing import Any, Final

from bot.domain.quizfile.model import Quiz

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


def quiz_json_schema() -> dict[str, Any]:
    """JSON Schema of a quiz file, for editors (yaml-language-server) to complete and check."""
    schema = Quiz.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "Quiz",
        "description": (
            "A media-literacy quiz: a source text and items that each quote a passage of it "
            "and ask one question about it. Passages must be exact quotes of the source "
            "(whitespace and typographic quotes may differ)."
        ),
        **schema,
    }
