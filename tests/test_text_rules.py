"""Every text a person can read, in every shipped locale, against the rules of bot/text_rules.py:
nothing that names a drug, an offence, the lab or a court; the glossary; the sources of
legal statements; the must-read sentence in the first SMS."""

from __future__ import annotations

import pytest

from bot import discreet
from bot.content import ContentPack
from bot.i18n import shipped_locales
from bot.outreach import discretion
from bot.text_rules import Rules, all_problems

LOCALES = shipped_locales()


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules()


def broken(rules: Rules, locale: str, starts: str) -> list[tuple[str, str]]:
    """(text, problem) for the shipped translations whose problem starts with ``starts``."""
    out = []
    for text in rules.texts():
        for problem in rules.problems(locale, text, rules.translation(locale, text)):
            if problem.startswith(starts):
                out.append((text.key, problem))
    return out


def test_every_shipped_locale_has_its_own_word_list():
    pack = ContentPack.load("massachusetts")
    assert set(LOCALES) <= set(pack.words)
    for locale in LOCALES:
        assert len(pack.words[locale].reply) >= 8, locale
    # written per language, not copied from English
    english = set(pack.words["en"].reply)
    assert all(not set(pack.words[loc].reply) <= english for loc in LOCALES if loc != "en")


@pytest.mark.parametrize("locale", LOCALES)
def test_no_text_names_a_drug_an_offence_the_lab_or_a_court(rules, locale):
    assert broken(rules, locale, "names what a phone must not show") == []


@pytest.mark.parametrize("locale", LOCALES)
def test_no_text_breaks_any_rule(rules, locale):
    assert [(text.key, problem) for _, text, problem in all_problems(rules, [locale])] == []


@pytest.mark.parametrize(("locale", "bad"), [
    ("ru", "Ваше дело из лаборатории по наркотикам."),
    ("vi", "Vụ ma túy của quý vị ở tòa án."),
    ("zh_Hans", "您的毒品案件在法院。"),
    ("ar", "قضية المخدرات في المحكمة."),
    ("km", "សំណុំរឿងគ្រឿងញៀននៅតុលាការ។"),
    ("ht", "Ka dwòg ou nan tribinal la."),
    ("es", "Su caso de drogas en la corte."),
])
def test_a_translation_naming_a_drug_or_court_is_caught(rules, locale, bad):
    text = next(t for t in rules.texts() if t.key == "status.under_review")
    problems = rules.problems(locale, text, bad)
    assert any(p.startswith("names what a phone must not show") for p in problems), problems


@pytest.mark.parametrize("text", [
    "{org}: tin về vụ ma túy của quý vị. Trả lời YES. Trả lời STOP để ngừng.",
    "{org}：关于您的毒品案件。回复 YES。回复 STOP 停止。",
    "{org}: новости о суде. Ответьте YES. Ответьте STOP.",
    "{org}: أخبار عن المحكمة. أرسل YES. أرسل STOP.",
    "{org}: nouvèl sou ka dwòg ou. Reponn YES. Reponn STOP.",
    "{org}: ព័ត៌មានអំពីតុលាការ។ ឆ្លើយ YES ។ ឆ្លើយ STOP ។",
])
def test_the_outreach_check_knows_every_shipped_language(text):
    codes = [w.code for w in discretion.check(text, "Case Help Project")]
    assert codes == ["forbidden"]


def test_words_inside_other_words_do_not_count():
    words = discreet.Words(reply=("lab", "суд"), outreach=())
    assert words.found("labor and courtesy; судьба") == []
    assert words.found("the LAB; в суде и суд") == ["lab", "суд"]


def test_every_legal_statement_names_the_domain_fact_it_rests_on():
    pack = ContentPack.load("massachusetts")
    facts = pack.data["facts"]
    statements = pack.statements()
    assert len(statements) >= 10
    for key, _ in statements:
        cited = pack.cited_facts(key)
        assert cited, f"{key} cites no DOMAIN.md fact in [sources]"
        assert all(fact in facts for fact in cited)


def test_a_source_citing_an_unknown_fact_stops_loading(tmp_path):
    from bot.config import ConfigError
    src = ContentPack.load("massachusetts").path
    bad = tmp_path / "pack"
    bad.mkdir()
    text = (src / "pack.toml").read_text(encoding="utf-8")
    text = text.replace('"topics.housing.body" = ["housing"]',
                        '"topics.housing.body" = ["housing_for_all"]')
    (bad / "pack.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="housing_for_all"):
        ContentPack.load(str(bad))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_glossary_covers_every_concept_and_is_followed(rules, locale):
    concepts = set(rules.glossary["where"])
    assert concepts <= set(rules.glossary[locale]), locale
    assert broken(rules, locale, "glossary") == []


@pytest.mark.parametrize(("locale", "key", "bad", "why"), [
    ("pt_BR", "status.dismissed", "O seu caso foi arquivado definitivamente. Isso significa "
     "que você não pode ser acusado de novo por ele.", "rejected"),
    ("es", "topics.refund.body", "Si una condena se anula, el estado debe devolver los cargos.",
     "must be said"),
    ("vi", "status.under_review", "Vụ việc của bạn đang được xem xét.", "rejected"),
    ("zh_Hans", "status.under_review", "您的这宗案件正在审查中。", "rejected"),
    ("ar", "topics.record.title", "ختم السجل", "must be said"),
])
def test_glossary_mistakes_from_the_review_are_caught(rules, locale, key, bad, why):
    text = next(t for t in rules.texts() if t.key == key)
    problems = [p for p in rules.problems(locale, text, bad) if p.startswith("glossary")]
    assert any(why in p for p in problems), problems


def test_the_statements_domain_md_does_not_support_are_gone(rules):
    pack = rules.pack
    english = " ".join(text for _, text in pack.person_entries())
    assert "court record" not in english and "criminal record" in english
    assert "Clearing your record" not in english and "private" not in english.lower()
    assert pack.source("topics", "housing", "body").startswith("Public housing")
    assert "will contact you" not in rules.translation("en", next(
        t for t in rules.texts() if t.key.startswith("Thank you. Your reference is")))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_default_outreach_message_passes_the_discretion_check_in_every_locale(locale):
    from bot.i18n import Translator
    from bot.outreach import texts
    text = texts.default_text(Translator(), locale)
    assert [w.code for w in discretion.check(text, "Case Help Project")] == [], (locale, text)
    assert "STOP" in text
