"""Translations: every text the pages show goes through gettext, with English message ids and
catalogues per language in web/locale/<lang>/LC_MESSAGES/*.po — messages.po, plus one file per
area where that keeps edits apart (forms.po...); they are merged, in name order (Babel reads the .po
files at start-up, so nothing compiled is kept in the repository). Chinese (simplified) is the default.

Extract new messages with ``pybabel extract -F src/renkou/web/babel.cfg -k gettext:2 -o messages.pot src/renkou/web``
and add them to both catalogues; a test fails when a message lacks a translation.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE = Path(__file__).parent / "locale"
LANGUAGES = ("zh", "en")
DEFAULT = "zh"


@cache
def translations(lang: str) -> Translations:
    lang = lang if lang in LANGUAGES else DEFAULT
    catalog = None
    for path in catalogue_files(lang):
        with path.open("rb") as f:
            part = read_po(f, locale={"zh": "zh_Hans_CN", "en": "en"}[lang])
        if catalog is None:
            catalog = part
        else:
            for m in part:
                if m.id:
                    catalog[m.id] = m
    buf = io.BytesIO()
    write_mo(buf, catalog)  # compiled in memory
    buf.seek(0)
    return Translations(fp=buf)


def catalogue_files(lang: str) -> list[Path]:
    return sorted((LOCALE / lang / "LC_MESSAGES").glob("*.po"), key=lambda p: (p.name != "messages.po", p.name))


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def language_of(request) -> str:
    """The page language of a request: English when the ``lang`` cookie says so, else Chinese."""
    return "en" if request.cookies.get("lang") == "en" else DEFAULT
