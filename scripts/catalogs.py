"""`make locale`: the sentences into bot/locale/messages.pot, each language's .po brought up
to date, the English catalog filled in, and every .mo compiled.

    python -m scripts.catalogs            extract, update, compile
    python -m scripts.catalogs --check    say what is out of date

tests/console/test_catalogs.py runs the same checks.

The .mo files are committed beside their .po files, so a fresh clone (`make demo`, an
editable install) and the wheel have them with no build step; the check keeps them in step.
Catalogs are written sorted and without source lines, so a change of code that moves a
sentence does not touch them, and two branches adding sentences merge cleanly.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "bot" / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# N_, NN_ and NP_ mark a sentence where it is defined; _, ngettext and pgettext (or, for the
# domain's texts, bot/domain/text.py's `Text.render`) translate it where it is used.
KEYWORDS = {**DEFAULT_KEYWORDS, "NP_": ((1, "c"), 2), "NN_": (1, 2)}
COMMENT_TAGS = ("TRANSLATORS:",)
WIDTH = 99
CREATED = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)

_PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
_TAG = re.compile(r"</?[a-z]+>")


def languages() -> list[str]:
    """The languages with a catalog, English first."""
    found = sorted(p.name for p in LOCALE.iterdir() if (p / "LC_MESSAGES").is_dir())
    return sorted(found, key=lambda code: code != SOURCE_LANGUAGE)


def _po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every sentence marked in the sources named by babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    # A fixed date: the catalogs change only when a sentence does, so branches merge cleanly.
    template = Catalog(project="quizbot", fuzzy=False, creation_date=CREATED)
    for _file, _line, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        template.add(message, None, auto_comments=comments, context=context)
    return template


def _text(catalog: Catalog, language: str | None = None) -> bytes:
    out = io.BytesIO()
    write_po(
        out, catalog, width=WIDTH, no_location=True, omit_header=False, sort_output=True,
        ignore_obsolete=True,
    )  # fmt: skip
    return out.getvalue()


def _mo(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def read(language: str) -> Catalog:
    """A language's catalog as stored."""
    with _po_path(language).open("rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


def updated(language: str, template: Catalog) -> Catalog:
    """The language's catalog with the template's messages (new ones empty, gone ones out)."""
    path = _po_path(language)
    if path.exists():
        catalog = read(language)
    else:
        catalog = Catalog(locale=language, domain=DOMAIN, project="quizbot", fuzzy=False)
    # A copy: update() adopts the template's messages, which the English fill would change.
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    if language == SOURCE_LANGUAGE:
        # English is written in the code: its translations are the message ids themselves.
        for message in catalog:
            if message.id:
                message.string = message.id
                message.flags.discard("fuzzy")
    return catalog


def write(language: str, catalog: Catalog) -> None:
    """Store a language's .po and its compiled .mo."""
    path = _po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_text(catalog))
    path.with_suffix(".mo").write_bytes(_mo(read(language)))


def _forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _shape(text: str) -> tuple[list[str], list[str]]:
    return sorted(set(_PLACEHOLDER.findall(text))), sorted(_TAG.findall(text))


def problems(message: Message, plurals: int = 2) -> Iterator[str]:
    """What is wrong with one translated message: missing, fuzzy, placeholders or tags."""
    label = f"{message.context + ': ' if message.context else ''}{_forms(message.id)[0]!r}"
    if "fuzzy" in message.flags:
        yield f"{label} is marked fuzzy"
    source = _forms(message.id)
    for index, form in enumerate(_forms(message.string or "")):
        if not form:
            yield f"{label} has no translation"
            continue
        # Each form is checked against the English form it stands for; a language with one
        # form ("km") uses the plural's placeholders ({n} and all).
        english = source[-1] if plurals == 1 else source[min(index, len(source) - 1)]
        expected = _shape(english)
        if _shape(form) != expected:
            yield f"{label}: placeholders or tags {_shape(form)} should be {expected}"


def check() -> list[str]:
    """Everything out of date: the template, a catalog, a translation, a compiled file."""
    found: list[str] = []
    template = extract()
    pot = LOCALE / f"{DOMAIN}.pot"
    if not pot.exists() or _ids(read_po(pot.open("rb"))) != _ids(template):
        found.append("messages.pot differs from the sentences in the code")
    for language in languages():
        catalog = read(language)
        missing = _ids(template) - _ids(catalog)
        extra = _ids(catalog) - _ids(template)
        found += [f"{language}: {m!r} is not in the catalog" for m in sorted(missing, key=str)]
        found += [f"{language}: {m!r} is no longer in the code" for m in sorted(extra, key=str)]
        found += [
            f"{language}: {p}" for m in catalog if m.id for p in problems(m, catalog.num_plurals)
        ]
        mo = _po_path(language).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _mo(catalog):
            found.append(f"{language}: messages.mo is not compiled from messages.po")
    return found


def _ids(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, _forms(m.id)[0]) for m in catalog if m.id}


def main() -> int:
    """Bring the catalogs up to date, or with --check only report what is out of date."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report, change nothing")
    args = parser.parse_args()
    if not args.check:
        template = extract()
        (LOCALE / f"{DOMAIN}.pot").write_bytes(_text(template))
        for language in languages():
            write(language, updated(language, template))
    found = check()
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
