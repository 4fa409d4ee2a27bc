"""What people type and what staff import meet on the same keys."""

from __future__ import annotations

import datetime as dt
import random

import phonenumbers
import pytest

from bot.registry.normalize import (
    hash_notice_code,
    name_key,
    normalize_docket,
    normalize_phone,
    parse_date,
    within_typos,
)


@pytest.mark.parametrize("raw", ["0912-cr-004411 ", "0912 CR 004411", " 0912.CR/004411",
                                 "0912CR004411", "0912–CR–004411", "0912CR4411", "0912 cr 4411",
                                 "０９１２ＣＲ００４４１１", "٠٩١٢CR٤٤١١"])
def test_docket_numbers_typed_any_way_meet(raw: str) -> None:
    assert normalize_docket(raw) == "0912CR004411"


def test_other_docket_shapes_keep_their_digits() -> None:
    assert normalize_docket("SUCR2011-10234") == "SUCR201110234"
    assert normalize_docket("1184CR10234") == "1184CR010234"
    assert normalize_docket("0912CR0044111") == "0912CR0044111"  # too long: left as typed


def test_every_district_docket_shape_is_padded_as_the_pattern_says() -> None:
    """Dockets of every length of each part: the result is the pattern's (year and
    court, 2-4 letters, a sequence zero-padded to six digits), and any other shape is
    kept as typed, whichever shortcut the function takes."""
    rng = random.Random(5)
    for _ in range(3_000):
        head = "".join(rng.choices("0123456789", k=rng.randint(0, 6)))
        letters = "".join(rng.choices("CRMVXZ", k=rng.randint(0, 5)))
        sequence = "".join(rng.choices("0123456789", k=rng.randint(0, 8)))
        typed = f"{head}-{letters.lower()}-{sequence}"
        plain = f"{head}{letters}{sequence}"
        is_district = len(head) == 4 and 2 <= len(letters) <= 4 and 1 <= len(sequence) <= 6
        expected = head + letters + sequence.zfill(6) if is_district else plain
        assert normalize_docket(typed) == expected, typed


def test_docket_with_nothing_usable_is_empty() -> None:
    assert normalize_docket(" -- / ") == ""
    assert normalize_docket("😀") == ""


@pytest.mark.parametrize(("a", "b"), [
    ("O'Brien-Núñez", "obrien nunez"),
    ("NÚÑEZ", "Nunez"),
    ("St. Fleur", "stfleur"),
    ("Van der Berg", "vanderberg"),
    ("Lê", "LE"),
    ("O’Brien", "OBrien"),  # typographic apostrophe
])
def test_name_keys_ignore_case_accents_and_punctuation(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_name_key_example() -> None:
    assert name_key("O'Brien-Núñez") == "obriennunez"
    assert name_key("Smith") != name_key("Smyth")


@pytest.mark.parametrize(("a", "b"), [
    ("smith", "smith"), ("smith", "smyth"), ("smith", "smit"), ("smith", "smiths"),
    ("smith", "msith"), ("smith", "smiht"), ("nunez", "nuenz"), ("kowalski", "kowalsky"),
])
def test_one_typo_is_tolerated(a: str, b: str) -> None:
    assert within_typos(a, b)
    assert within_typos(b, a)


@pytest.mark.parametrize(("a", "b"), [
    ("smith", "jones"), ("smith", "smithson"), ("smith", "simht"), ("smith", "sm"),
    ("abcd", "badc"), ("", "ab"),
])
def test_two_typos_are_not(a: str, b: str) -> None:
    assert not within_typos(a, b)
    assert not within_typos(b, a)


@pytest.mark.parametrize(("typed", "registry"), [
    ("e", "le"), ("li", "le"), ("xe", "le"), ("l", "le"), ("lee", "le"), ("ng", "ngo"),
    ("wu", "hu"), ("ly", "li"), ("a", ""),
])
def test_names_of_one_to_three_letters_tolerate_no_typo(typed: str, registry: str) -> None:
    for edits in (1, 2):
        assert not within_typos(typed, registry, max_edits=edits)
        assert not within_typos(registry, typed, max_edits=edits)


def test_more_typos_when_configured_only_for_long_names() -> None:
    assert within_typos("smithson", "simhtson", max_edits=2)
    assert within_typos("abcdefgh", "badcefgh", max_edits=2)
    assert not within_typos("smith", "simht", max_edits=2)  # five letters: one typo at most
    assert not within_typos("smith", "jones", max_edits=2)
    assert within_typos("kowalski", "kowalski", max_edits=0)
    assert not within_typos("kowalski", "kowalsky", max_edits=0)


@pytest.mark.parametrize(("raw", "expected"), [
    ("1975-03-14", dt.date(1975, 3, 14)),
    ("03/14/1975", dt.date(1975, 3, 14)),
    ("3/4/1975", dt.date(1975, 3, 4)),
    (" 1975-3-4 ", dt.date(1975, 3, 4)),
    ("2000-02-29", dt.date(2000, 2, 29)),
])
def test_dates_in_the_accepted_forms(raw: str, expected: dt.date) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["1980-02-31", "02/30/1980", "13/01/1980", "1900-02-29"])
def test_impossible_dates_say_so(raw: str) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        parse_date(raw)


@pytest.mark.parametrize("raw", ["", "tomorrow", "14.03.1975", "1975/03/14", "75-03-14",
                                 "19750314", "1975-W11-5", "١٩٧٥-٠٣-١٤", "03/14/75"])
def test_other_date_forms_are_refused_clearly(raw: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD or MM/DD/YYYY"):
        parse_date(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("(555) 010-0101", "+15550100101"),
    ("555.010.0101", "+15550100101"),
    ("1-555-010-0101", "+15550100101"),
    ("+1 555 010 0101", "+15550100101"),
    ("+44 20 7946 0958", "+442079460958"),
    ("0044 20 7946 0958", "+442079460958"),
    # Numbers abroad, as people deported after a conviction have them.
    ("+238 991 23 45", "+2389912345"),      # Cape Verde
    ("011 238 991 2345", "+2389912345"),    # Cape Verde, dialled from the US
    ("(809) 555-0100", "+18095550100"),     # Dominican Republic (NANP)
    ("+509 34 12 3456", "+50934123456"),    # Haiti
    ("+55 (11) 91234-5678", "+5511912345678"),  # Brazil
    ("+84 91 234 56 78", "+84912345678"),   # Vietnam
    ("+855 12 345 678", "+85512345678"),    # Cambodia
])
def test_phones_become_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "555-0101", "2-555-010-0101", "+12", "+1234567890123456",
                                 "call me", "+238 991", "+84 1"])
def test_unusable_phones_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(raw)


def test_notice_codes_hash_the_same_however_typed() -> None:
    digest = hash_notice_code("HX7K-29QP")
    assert hash_notice_code(" hx7k 29qp ") == digest
    assert hash_notice_code("HX7K29QP") == digest
    assert hash_notice_code("HX7K-29QB") != digest
    assert len(digest) == 64 and "HX7K" not in digest.upper()


def _e164_by_phonenumbers(text: str, region: str) -> str | None:
    number = phonenumbers.parse(text, region)
    if (phonenumbers.is_possible_number_with_reason(number)
            != phonenumbers.ValidationResult.IS_POSSIBLE):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize("region", ["US", "CA", "DO", "PR", "JM", "GB", "CV", "BR"])
def test_north_american_notations_read_as_phonenumbers_reads_them(region: str) -> None:
    rng = random.Random(region)
    forms = ["({a}) {b}-{c}", "({a}){b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "{a} {b} {c}",
             "{a}{b}{c}", "+1 {a} {b} {c}", "+1-{a}-{b}-{c}", "+1({a}) {b}-{c}", "+1{a}{b}{c}"]
    for _ in range(500):
        text = rng.choice(forms).format(a=rng.randint(200, 999), b=f"{rng.randint(0, 999):03d}",
                                        c=f"{rng.randint(0, 9999):04d}")
        want = _e164_by_phonenumbers(text, region)
        if want is None:
            with pytest.raises(ValueError):
                normalize_phone(text, region)
        else:
            assert normalize_phone(text, region) == want, text
