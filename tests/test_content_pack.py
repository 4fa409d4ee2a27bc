"""Content packs are data: another lab scandal is served by another pack, no code changes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.app import App
from bot.config import Config, ConfigError
from bot.content import STATUSES, TOPICS, ContentPack, extract_catalog, main, packs_dir
from bot.i18n_tools import plural_problem
from tests.conftest import ConsoleSession

# A small pack for the Colorado DNA-lab case (DOMAIN.md, "Beyond Massachusetts").
COLORADO = '''
welcome = """Hello. This service checks if your case used DNA work by a Colorado lab analyst \\
whose data was changed. It is private. General information, not legal advice."""
about = """A Colorado Bureau of Investigation analyst changed DNA test data in hundreds of \\
cases from 2008 to 2023."""

[meta]
name = "Colorado DNA-lab cases"

[status]
dismissed = "Your Colorado case was dismissed."
pending = "Your Colorado case is still open."
not_dismissed = "Your Colorado case was kept by the prosecutor."
under_review = "Your Colorado case is being checked again."

[topics.record]
title = "Your Colorado record"
body = "Colorado has its own rules for sealing records. Ask {cpd} or call {org} at {phone}."

[topics.record.status]
dismissed = "A dismissed Colorado case can often be sealed. Ask {cpd}."

[topics.refund]
title = "Colorado refunds"
body = "A lawyer can tell you if you can get money back."

[topics.housing]
title = "Colorado housing"
body = "A lawyer can help if a landlord turned you down."

[topics.employment]
title = "Colorado jobs"
body = "A lawyer can help if an employer turned you down."

[topics.immigration]
title = "Colorado immigration"
body = "Talk to an immigration lawyer before any step."

[topics.next_steps]
title = "Colorado next steps"
body = "Keep your papers. Contact {cpd}."

[labs.cbi]
name = "Colorado Bureau of Investigation lab"

[contacts.cpd]
name = "the Colorado State Public Defender"

[keywords]
lookup = ["woods", "cbi"]
'''

COLORADO_ES = {
    "Your Colorado record": "Su récord en Colorado",
    "Colorado has its own rules for sealing records. Ask {cpd} or call {org} at {phone}.":
        "Colorado tiene sus propias reglas para sellar récords. Pregunte a {cpd} o llame a "
        "{org} al {phone}.",
    "the Colorado State Public Defender": "la Defensoría Pública de Colorado",
    "Colorado refunds": "Reembolsos en Colorado",
}


def write_pack(root: Path, text: str = COLORADO, spanish: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pack.toml").write_text(text, encoding="utf-8")
    po = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"',
          '"Language: es\\n"', '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"', ""]
    for msgid, msgstr in (spanish or {}).items():
        po += [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    (root / "es" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    (root / "es" / "LC_MESSAGES" / "content.po").write_text("\n".join(po), encoding="utf-8")
    return root


@pytest.fixture
async def colorado(config: Config, clock, tmp_path: Path):
    pack = write_pack(tmp_path / "colorado", spanish=COLORADO_ES)
    app = await App.create(config.replace("content", "pack", str(pack)), clock=clock)
    try:
        yield app
    finally:
        await app.close()


def said(turn: dict[str, Any]) -> str:
    return "\n".join([r["text"] for r in turn["replies"]]
                     + [o["label"] for r in turn["replies"] for o in r["options"]])


async def test_another_pack_speaks_for_another_lab(colorado):
    session = ConsoleSession(colorado)
    first = said(await session.say("hi"))
    assert "Colorado lab analyst" in first and "Hinton" not in first
    await session.say("1")  # English
    menu = said(await session.say("2"))
    assert "hundreds of cases from 2008 to 2023" in menu
    assert "Your Colorado record" in menu and "Colorado next steps" in menu
    assert "Clearing your record" not in menu
    record = said(await session.say("1"))
    phone = colorado.config.organization.phone
    assert "Ask the Colorado State Public Defender or call" in record and phone in record
    assert "CORI" not in record


async def test_another_pack_s_translations_are_used_and_the_rest_falls_back(colorado):
    session = ConsoleSession(colorado)
    await session.say("hi")
    await session.say("2")  # Español
    menu = said(await session.say("2"))
    assert "Su récord en Colorado" in menu and "Reembolsos en Colorado" in menu
    assert "Colorado housing" in menu  # not translated yet: English, never an error
    record = said(await session.say("1"))
    assert "Pregunte a la Defensoría Pública de Colorado o llame a" in record


async def test_another_pack_s_status_texts_and_keywords(colorado):
    assert colorado.content.text("en", "status", "pending") == "Your Colorado case is still open."
    assert colorado.content.text("en", "labs", "cbi", "name").startswith("Colorado Bureau")
    understanding = colorado.dialogue.understanding
    assert understanding.classify("is this about woods?") == "lookup"
    assert understanding.classify("dookhan?") != "lookup"  # not this deployment


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace('[topics.housing]\ntitle = "Colorado housing"\n', "[topics.housing]\n"),
     "missing text topics.housing.title"),
    (lambda t: t.replace('under_review = "Your Colorado case is being checked again."', ""),
     "missing text status.under_review"),
    (lambda t: t.replace("Keep your papers.", "Keep your {papers}."),
     "topics.next_steps.body uses unknown placeholder {papers}"),
    (lambda t: t.replace('pending = "Your', 'pending = "{org}: your'),
     "status.pending uses unknown placeholder {org}"),
    (lambda t: t.replace("Keep your papers.", "Keep your papers {org:>20000000}."),
     "topics.next_steps.body has a brace that is not a plain {name} placeholder"),
    (lambda t: t.replace("Keep your papers.", "Keep your papers {org:q}."),
     "topics.next_steps.body has a brace that is not a plain {name} placeholder"),
    (lambda t: t.replace('lookup = ["woods", "cbi"]', 'lookup = "woods"'),
     "[keywords] must map intents"),
    (lambda t: t + "\n[oops\n", "pack.toml"),
])
async def test_a_broken_pack_stops_start_up_naming_the_key(config, tmp_path, change, message):
    pack = write_pack(tmp_path / "broken", change(COLORADO))
    with pytest.raises(ConfigError) as caught:
        await App.create(config.replace("content", "pack", str(pack)))
    assert message in str(caught.value)


async def test_a_pack_that_does_not_exist_is_named(config, tmp_path):
    with pytest.raises(ConfigError, match="no pack.toml"):
        await App.create(config.replace("content", "pack", str(tmp_path / "nowhere")))


def test_a_translator_gets_a_template_with_every_text_and_its_key(tmp_path, capsys):
    pack_dir = write_pack(tmp_path / "colorado")
    assert main([str(pack_dir)]) == 0
    assert "content.pot: " in capsys.readouterr().out
    with (pack_dir / "content.pot").open("rb") as fh:
        template = read_po(fh)
    pack = ContentPack.load(str(pack_dir))
    assert {m.id for m in template if m.id} == set(pack.sources())
    record = template["Your Colorado record"]
    assert record.auto_comments == ["topics.record.title"]
    assert "python-brace-format" in template[pack.source("topics", "next_steps", "body")].flags
    assert "woods" not in {m.id for m in template}  # keywords are matched, not shown


def test_the_shipped_template_and_catalogs_match_the_massachusetts_pack():
    pack = ContentPack.load("massachusetts")
    sources = set(pack.sources())
    with (packs_dir() / "massachusetts" / "content.pot").open("rb") as fh:
        assert {m.id for m in read_po(fh) if m.id} == sources, "run: python -m bot.content"
    for locale in ("en", "es"):
        path = pack.path / locale / "LC_MESSAGES" / "content.po"
        raw = path.read_bytes()
        assert b'"Content-Type: text/plain; charset=UTF-8\\n"' in raw
        assert plural_problem(path, locale) is None  # CLDR plural forms
        catalog = read_po(io.BytesIO(raw), locale=locale)
        messages = {m.id: m for m in catalog if m.id}
        assert set(messages) == sources, locale
        assert not any(m.fuzzy for m in messages.values()), locale
        if locale == "es":
            assert all(m.string for m in messages.values())


def test_the_shipped_pack_has_every_topic_status_lab_and_contact():
    pack = ContentPack.load("massachusetts")
    for topic in TOPICS:
        assert pack.source("topics", topic, "title") and pack.source("topics", topic, "body")
    for status in STATUSES:
        assert pack.source("status", status)
    assert pack.source("labs", "hinton", "name") and pack.source("labs", "amherst", "name")
    assert set(pack.contacts()) >= {"cpcs", "pair", "mira"}
    assert {"dookhan", "farak"} <= set(pack.keywords()["lookup"])


def test_extract_catalog_lists_a_text_used_twice_once_with_both_keys(tmp_path):
    text = COLORADO.replace('body = "A lawyer can help if an employer turned you down."',
                            'body = "A lawyer can help if a landlord turned you down."')
    pack = ContentPack.load(str(write_pack(tmp_path / "twice", text)))
    catalog = extract_catalog(pack)
    entry = catalog["A lawyer can help if a landlord turned you down."]
    assert entry.auto_comments == ["topics.housing.body", "topics.employment.body"]
