"""Sentences the domain has for a reader, written in English and kept apart from any catalog.

A `Text` is an English template with named ``{placeholders}`` and the values that fill them.
`str(text)` is the English; an adapter renders the same text in its reader's language by
looking the template up in its catalog (`bot/console/i18n.render`). The templates are marked
where they are written with `N_` (and `NN_` for a singular and its plural), which the
extractor of `make locale` reads as it reads the adapters' `_`.

A value is one of: words the reader typed or must type (a field name, an id, a quoted
value), which no catalog changes; a number; or another `Text`, rendered in the same
language ("item 3 ('c04')" inside "item 3 ('c04'): passage not found in the source text").

    problem = say(N_("unknown skill '{skill}'"), skill="sourcing")
    str(problem)                    # English
    problem.render(khmer_catalog)   # the same problem in Khmer
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol, Union

Value = Union[str, int, "Text"]


class Catalog(Protocol):
    """What a text needs of a gettext catalog (`gettext.NullTranslations` is the English)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


ENGLISH: Final[Catalog] = gettext.NullTranslations()


def N_(message: str) -> str:
    """Mark a template for the catalogs; `Text.render` translates it."""
    return message


def NN_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a template and its plural for the catalogs; the count picks the form."""
    return singular, plural


@dataclass(frozen=True)
class Text:
    """An English template, its values, and (for a count in the sentence) its plural."""

    template: str
    values: tuple[tuple[str, Value], ...] = ()
    plural: str | None = None
    count: int = 1

    def render(self, catalog: Catalog = ENGLISH) -> str:
        """The text in the language of `catalog`; English without one."""
        if not self.template:
            return ""  # a catalog's empty message id is its header, not a sentence
        if self.plural is None:
            template = catalog.gettext(self.template)
        else:
            template = catalog.ngettext(self.template, self.plural, self.count)
        return template.format_map(
            {
                name: value.render(catalog) if isinstance(value, Text) else value
                for name, value in self.values
            }
        )

    def __str__(self) -> str:
        return self.render()


def say(template: str, /, **values: Value) -> Text:
    """A text from a template marked with `N_` and its values."""
    return Text(template, tuple(values.items()))


def say_n(forms: tuple[str, str], count: int, /, **values: Value) -> Text:
    """A text whose form follows `count`, from templates marked with `NN_`."""
    return Text(forms[0], tuple(values.items()), forms[1], count)


def verbatim(words: str) -> Text:
    """Words shown as they are in every language (a library's message, an outside text)."""
    return Text("{words}", (("words", words),))


def joined(parts: Sequence[Value], separator: str = ", ") -> Text:
    """The parts one after another, each rendered in the reader's language."""
    # The template is no sentence and no catalog has it: gettext leaves it as it is.
    template = (
        separator.replace("{", "{{")
        .replace("}", "}}")
        .join(f"{{p{number}}}" for number in range(len(parts)))
    )
    return Text(template, tuple((f"p{number}", part) for number, part in enumerate(parts)))
