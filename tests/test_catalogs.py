"""Every shipped locale is complete, keeps placeholders, has CLDR plural forms and loads.

"Shipped" means every directory of ``locales/`` with catalogs (and every
content pack's catalogs for those locales). Failures list exactly what is
wrong, one line per (locale, domain, msgid), as ``casecheck i18n check`` does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot import i18n_tools
from bot.i18n import (
    BABEL_NAMES,
    LANGUAGE_NAMES,
    Translator,
    babel_name,
    cldr_plural_forms,
    language_name,
    locales_dir,
    plural_forms,
    shipped_locales,
)

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ["en", "es", "pt_BR", "ht", "kea", "vi", "zh_Hant", "zh_Hans", "km", "ru", "ar"]
SHIPPED = shipped_locales()


@pytest.fixture(scope="module")
def tallies() -> list[i18n_tools.Tally]:
    return i18n_tools.check(SHIPPED)


def problems(tallies: list[i18n_tools.Tally], locale: str, *kinds: str,
             content: bool | None = None) -> list[str]:
    found = []
    for tally in tallies:
        if tally.locale not in (locale, "*"):
            continue
        if content is not None and tally.domain.startswith("content:") != content:
            continue
        found += [str(p) for p in tally.problems if p.kind in kinds]
    return found


def report(found: list[str]) -> str:
    return f"{len(found)} problem(s):\n" + "\n".join(found)


def test_every_required_locale_is_shipped() -> None:
    assert [loc for loc in REQUIRED if loc not in SHIPPED] == []


def test_every_source_file_with_messages_has_a_domain() -> None:
    assert i18n_tools.extract_source().unmapped == []


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_domain_of_english_is_shipped(tallies, locale) -> None:
    found = problems(tallies, locale, "no-file")
    assert not found, report(found)


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_message_is_translated(tallies, locale) -> None:
    found = problems(tallies, locale, "missing", "empty", "fuzzy", content=False)
    assert not found, report(found)


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_content_pack_text_is_translated(tallies, locale) -> None:
    found = problems(tallies, locale, "missing", "empty", "fuzzy", "no-file", content=True)
    assert not found, report(found)


@pytest.mark.parametrize("locale", SHIPPED)
def test_placeholders_are_kept(tallies, locale) -> None:
    found = problems(tallies, locale, "placeholder")
    assert not found, report(found)


@pytest.mark.parametrize("locale", SHIPPED)
def test_plural_forms_match_cldr(tallies, locale) -> None:
    found = problems(tallies, locale, "plural-forms")
    assert not found, report(found)


@pytest.mark.parametrize("locale", SHIPPED)
def test_each_translation_comes_back_through_the_translator(tallies, locale) -> None:
    """Babel falls back to English silently: compare what the app gets with the files."""
    found = problems(tallies, locale, "load")
    assert not found, report(found)
    if locale == "en":
        return
    packs = i18n_tools.packs()
    translator = Translator([locale], extra_dirs=[(p.path, "content") for p in packs])
    english = Translator(["en"], extra_dirs=[(p.path, "content") for p in packs])
    msgid = "Choose your language:"
    assert translator.gettext(locale, msgid) != english.gettext("en", msgid)
    for pack in packs:
        welcome = pack.source("welcome") or pack.sources()[0]
        assert translator.gettext(locale, welcome) != welcome, f"{pack.path.name}: {locale}"


@pytest.mark.parametrize("locale", REQUIRED)
def test_cldr_plural_forms_evaluate_like_cldr(locale) -> None:
    """The header derived from the installed Babel picks CLDR's form for whole numbers."""
    import gettext

    from babel import Locale
    from babel.plural import PluralRule

    header = cldr_plural_forms(locale)
    rule = PluralRule.parse(Locale.parse(locale).plural_form)
    tags = [t for t in ("zero", "one", "two", "few", "many", "other") if t in rule.tags | {"other"}]
    assert header.startswith(f"nplurals={len(tags)};")
    pick = gettext.c2py(header.split("plural=", 1)[1].rstrip(";"))
    for n in [*range(0, 300), 1_000_000, 1_000_001]:
        assert tags[pick(n)] == rule(n), (locale, n)


@pytest.mark.parametrize("locale", SHIPPED)
def test_shipped_plural_forms_are_fixed_and_use_their_forms(locale) -> None:
    """A shipped catalog's rule does not follow the installed Babel (CLDR 48 changed ht, vi)."""
    import gettext
    import tomllib

    header = plural_forms(locale)
    with (locales_dir() / "plural_forms.toml").open("rb") as fh:
        assert header == tomllib.load(fh)["forms"][locale]
    nplurals = int(header.split(";")[0].split("=")[1])
    pick = gettext.c2py(header.split("plural=", 1)[1].rstrip(";"))
    chosen = {pick(n) for n in [*range(0, 1001), 1_000_000, 2_000_000]}
    # Every form is used, but ru's "other", which CLDR keeps for fractions.
    unused = set(range(nplurals)) - chosen
    assert chosen <= set(range(nplurals)) and unused <= ({3} if locale == "ru" else set())


def test_kea_and_ht_get_cldr_plural_counts_whatever_pybabel_says() -> None:
    # pybabel's own table said 2 for both before Babel 2.19; CLDR 47 says 1 and 3.
    assert plural_forms("kea") == "nplurals=1; plural=(0);"
    assert plural_forms("ht").startswith("nplurals=3;")
    assert plural_forms("ar").startswith("nplurals=6;")


def test_plural_check_compares_meaning_not_text(tmp_path) -> None:
    """The same rule written another way passes; another rule fails, naming the number."""
    header = plural_forms("ht")
    po = tmp_path / "messages.po"
    body = 'msgid ""\nmsgstr ""\n"Language: ht\\n"\n"Plural-Forms: {}\\n"\n'
    po.write_text(body.format("nplurals=3; plural=(n==0||n==1 ? 0 : n%1000000==0 ? 1 : 2);"),
                  encoding="utf-8")
    assert i18n_tools.plural_problem(po, "ht") is None, header
    po.write_text(body.format("nplurals=3; plural=(n==1 ? 0 : n%1000000==0 ? 1 : 2);"),
                  encoding="utf-8")
    assert "n=0" in (i18n_tools.plural_problem(po, "ht") or "")
    po.write_text(body.format("nplurals=1; plural=(0);"), encoding="utf-8")
    assert "nplurals must be 3" in (i18n_tools.plural_problem(po, "ht") or "")


def test_language_names_are_in_their_own_script() -> None:
    names = {loc: language_name(loc) for loc in REQUIRED}
    assert names["kea"] == "Kabuverdianu" and names["km"] == "ខ្មែរ" and names["ar"] == "العربية"
    assert names["zh_Hant"] == "中文（繁體）" and names["zh_Hans"] == "中文（简体）"
    assert names["pt_BR"] == "Português (Brasil)" and names["ht"] == "Kreyòl ayisyen"
    assert names["es"] == "Español" and names["ru"] == "Русский"


def test_the_written_out_names_are_babels() -> None:
    assert set(BABEL_NAMES) | set(LANGUAGE_NAMES) >= set(REQUIRED)
    assert {loc: babel_name(loc) for loc in BABEL_NAMES} == BABEL_NAMES


@pytest.fixture
def locales_copy(tmp_path: Path) -> Path:
    root = tmp_path / "locales"
    shutil.copytree(locales_dir(), root)
    return root


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.mark.parametrize("locale", SHIPPED)
def test_update_without_code_change_turns_nothing_fuzzy(locales_copy: Path, locale: str) -> None:
    """On any allowed Babel: no plural header rewritten, no entry turned fuzzy (vi, ht once)."""
    i18n_tools.update([locale], locales_copy)
    for path in locales_copy.rglob(f"{locale}/LC_MESSAGES/*.po"):
        assert i18n_tools.plural_problem(path, locale) is None, path
        fuzzy = [m.id for m in _read(path, locale) if m.id and m.fuzzy]
        assert not fuzzy, (path, fuzzy)


def test_init_creates_every_domain_with_cldr_plural_forms(locales_copy: Path) -> None:
    i18n_tools.extract(locales_copy)
    for shipped in [locales_copy / "kea", *locales_copy.glob("packs/*/kea")]:
        shutil.rmtree(shipped, ignore_errors=True)  # kea ships: start it anew in the copy
    created = i18n_tools.init("kea", locales_copy)
    en_domains = {p.name for p in (locales_copy / "en" / "LC_MESSAGES").glob("*.po")}
    assert {p.name for p in created if p.parent.parent.parent == locales_copy} == en_domains
    assert any(p.name == "content.po" for p in created)
    for path in created:
        text = path.read_text(encoding="utf-8")
        assert '"Plural-Forms: nplurals=1; plural=(0);\\n"' in text, path
        assert "charset=UTF-8" in text
        catalog = _read(path, "kea")
        strings = [m.string if isinstance(m.string, str) else "".join(m.string)
                   for m in catalog if m.id]
        assert strings and not any(strings)
    with pytest.raises(ValueError, match="exists"):
        i18n_tools.init("kea", locales_copy)
    with pytest.raises(ValueError):
        i18n_tools.init("xx_NOPE", locales_copy)


def test_update_keeps_translations_and_adds_new_messages_empty(locales_copy: Path) -> None:
    i18n_tools.extract(locales_copy)
    es = locales_copy / "es" / "LC_MESSAGES" / "messages.po"
    before = {m.id: m.string for m in _read(es, "es") if m.id and not m.fuzzy}
    template = locales_copy / "messages.pot"
    template.write_text(template.read_text(encoding="utf-8")
                        + '\nmsgid "A brand new sentence for the test."\nmsgstr ""\n',
                        encoding="utf-8")
    i18n_tools.update(["es"], locales_copy)
    after = {m.id: m for m in _read(es, "es") if m.id}
    assert after["A brand new sentence for the test."].string == ""
    assert i18n_tools.plural_problem(es, "es") is None
    singular = {k: v for k, v in before.items() if isinstance(k, str)}
    assert singular and all(after[k].string == v for k, v in singular.items() if k in after)


def test_check_names_each_bad_entry_by_msgid(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n"Plural-Forms: ' + plural_forms("es")
        + '\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Call {phone}"\nmsgstr "Llame al {telefono}"\n\n'
        'msgid "Open {day"\nmsgstr "Abre {day"\n\n'
        'msgid "Hello"\nmsgstr ""\n\n#, fuzzy\nmsgid "Bye"\nmsgstr "Adiós"\n\n'
        'msgid "Fine"\nmsgstr "Bien"\n', encoding="utf-8")
    present = {m.id: m for m in _read(po, "es") if m.id}
    tally = i18n_tools.Tally("es", "messages")
    for key, want in [*present.items(), ("Not there", present["Hello"])]:
        i18n_tools.check_entry(tally, "es", want, present.get(key) if key != "Not there" else None)
    assert sorted((p.kind, p.msgid) for p in tally.problems) == [
        ("empty", "Hello"), ("fuzzy", "Bye"), ("missing", "Hello"),
        ("placeholder", "Call {phone}"), ("placeholder", "Open {day")]
    assert tally.translated == 1
    assert str(tally.problems[0]).startswith("es/messages: ")
    assert i18n_tools.plural_problem(po, "es") is None
    po.write_text(po.read_text(encoding="utf-8").replace(plural_forms("es"),
                                                         "nplurals=2; plural=(n != 1);"),
                  encoding="utf-8")
    assert "nplurals must be 3" in (i18n_tools.plural_problem(po, "es") or "")


def test_a_locales_catalogs_are_read_at_its_first_text_and_only_once() -> None:
    """Every catalog read stays in the process's memory: the web process, which answers
    webhooks and staff, reads no language nobody used. The files opened are watched."""
    script = (
        "import json, sys\n"
        "from bot.i18n import Translator\n"
        "opened = []\n"
        "sys.addaudithook(lambda event, args: event == 'open' and str(args[0]).endswith('.po')"
        " and opened.append(str(args[0]).split('/locales/', 1)[1].split('/', 1)[0]))\n"
        "t = Translator()\n"
        "seen = [sorted(set(opened))]\n"
        "texts = [t.gettext('es', 'Main menu'), t.gettext('es', 'Main menu')]\n"
        "seen.append(sorted(set(opened)))\n"
        "texts.append(t.gettext('xx', 'Main menu'))  # not offered: English\n"
        "seen.append(sorted(set(opened)))\n"
        "print(json.dumps([seen, texts, len(opened)]))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    seen, texts, opened = json.loads(done.stdout)
    assert seen == [[], ["es"], ["en", "es"]]
    assert texts[0] == texts[1] != "Main menu" and texts[2] == "Main menu"
    domains = len(list((locales_dir() / "es" / "LC_MESSAGES").glob("*.po")))
    assert opened == 2 * domains  # es once, en once
