"""Every page text goes through the gettext catalogues: each message has a Chinese and an English
translation, none is written into a template, Chinese is the default and English is switchable."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from helpers import build_units
from renkou.web import app as web
from renkou.web.i18n import LANGUAGES, catalogue_files

WEB = Path(web.__file__).parent
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]


def used_messages() -> set[str]:
    keywords = DEFAULT_KEYWORDS | {"gettext": (2,)}  # renkou.web.i18n.gettext(lang, message)
    return {msg for _f, _l, msg, _c, _ctx in extract_from_dir(str(WEB), METHODS, keywords=keywords) if isinstance(msg, str)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_has_a_translation(lang):
    catalog = {}
    for path in catalogue_files(lang):
        with path.open("rb") as f:
            catalog.update({m.id: m.string for m in read_po(f) if m.id})
    used = used_messages()
    assert "Sign in" in used and "Too many failed sign-ins; try again later." in used  # templates and Python both read
    missing = sorted(m for m in used if not catalog.get(m))
    assert missing == []


def test_templates_write_no_chinese_of_their_own():
    for path in (WEB / "templates").glob("*.html"):
        text = re.sub(r"{[{%].*?[%}]}", "", path.read_text(encoding="utf-8"))
        text = text.replace("renkou 人口", "")
        assert not re.search(r"[\u4e00-\u9fff]", text), path.name


def test_chinese_by_default_english_on_request(db):
    build_units(db)
    with TestClient(web.create_app(db, secret="k", secure_cookies=False)) as c:
        zh = c.get("/login").text
        c.cookies.set("lang", "en")
        en = c.get("/login").text
    assert "用户名" in zh and "User name" not in zh
    assert "User name" in en and "用户名" not in en
