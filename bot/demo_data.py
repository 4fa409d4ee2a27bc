"""Made-up demo cases, generated deterministically into ``bot/demo_cases.csv``.

Every name, date, docket number and notice code is fictional; phone numbers are
in the 555-01xx range reserved for fiction. A few featured cases (first in the
file) are the ones the README and ``casecheck demo`` point newcomers to. The
CSV mixes date and docket formats on purpose, to show the importer normalising.

Regenerate the shipped file with ``python -m bot.demo_data``.
"""

from __future__ import annotations

import csv
import io
import random
from importlib import resources
from pathlib import Path

COLUMNS = ("docket_number", "court", "last_name", "first_name", "date_of_birth", "lab",
           "status", "status_date", "phone", "language", "notice_code", "person_id")
TOTAL = 50
SEED = 2017

# (docket, court, last, first, dob, lab, status, status_date, phone, language, notice code)
FEATURED: list[tuple[str, ...]] = [
    ("0912-CR-004411", "Boston Municipal Court", "Núñez", "María", "1975-03-14", "Hinton",
     "dismissed", "2017-04-19", "(555) 010-0101", "es", "HX7K-29QP"),
    ("1081 CR 000217", "Springfield District Court", "O'Brien", "Patrick", "11/02/1968",
     "Amherst", "pending", "2019-03-05", "", "en", ""),
    ("0845-CR-001203", "Boston Municipal Court", "Carter-Whitfield", "Denise", "1981-07-09",
     "Hinton", "dismissed", "2017-04-19", "555-010-0103", "en", "MT4R-8ZDW"),
    ("1123-CR-000588", "Springfield District Court", "Carter-Whitfield", "Denise", "1981-07-09",
     "Amherst", "under_review", "2020-01-22", "555-010-0103", "en", ""),
    ("0703-CR-002918", "Brockton District Court", "Kowalski", "James", "05/30/1972", "Hinton",
     "not_dismissed", "2018-02-12", "", "en", ""),
    ("1002-CR-007730", "Lowell District Court", "Lê", "Thanh", "1988-12-01", "Amherst",
     "under_review", "2021-06-30", "+1 555 010 0106", "vi", "QB6N-3JFA"),
]

_LAST = ["Alvarez", "Bennett", "Castillo", "Díaz", "Dubois", "Ferreira", "Gallagher", "Greene",
         "Haddad", "Jiménez", "Kim", "López", "MacDonald", "Medeiros", "Nguyen", "Okafor",
         "O'Neil", "Pérez", "Pierre", "Quiñones", "Reyes", "Rossi", "Santos", "Silva",
         "St. Fleur", "Sullivan", "Torres", "Van der Berg", "Walsh", "Wright-Jones"]
_FIRST = ["Ana", "André", "Bruno", "Carmen", "Chloé", "Darnell", "Elena", "Francisco", "Grace",
          "Héctor", "Iris", "Jorge", "Keisha", "Luis", "Mei", "Nadia", "Omar", "Paulo",
          "Rosa", "Sean", "Tamika", "Victor", "Yolanda", "Zoë"]
_COURTS = {"Hinton": ["Boston Municipal Court", "Brockton District Court",
                      "Suffolk Superior Court", "Lowell District Court"],
           "Amherst": ["Springfield District Court", "Hampden Superior Court",
                       "Northampton District Court"]}
_STATUSES = ["dismissed", "dismissed", "dismissed", "pending", "not_dismissed", "under_review"]
_STATUS_DATES = {"Hinton": ("2017-04-19", "2018-02-12", "2019-09-03"),
                 "Amherst": ("2018-11-28", "2019-03-05", "2020-01-22")}
_CODE_CHARS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


def rows() -> list[tuple[str, ...]]:
    """All demo rows, featured first; the same on every call."""
    rng = random.Random(SEED)
    out = list(FEATURED)
    while len(out) < TOTAL:
        n = len(out)
        lab = "Hinton" if n % 2 else "Amherst"
        year = rng.randint(3, 12)
        docket = f"{year:02d}{rng.randint(1, 99):02d}CR{rng.randint(1, 9999):06d}"
        if n % 3 == 0:
            docket = f"{docket[:4]}-{docket[4:6].lower()}-{docket[6:]}"
        dob = f"19{rng.randint(55, 92)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if n % 4 == 0:
            y, m, d = dob.split("-")
            dob = f"{m}/{d}/{y}"
        status = rng.choice(_STATUSES)
        status_date = rng.choice(_STATUS_DATES[lab])
        phone = f"555-010-{n + 100:04d}" if n % 3 == 1 else ""
        code = ""
        if n % 5 == 2:
            code = "".join(rng.choice(_CODE_CHARS) for _ in range(8))
            code = f"{code[:4]}-{code[4:]}"
        language = rng.choice(["en", "en", "en", "es", "pt", "ht"])
        out.append((docket, rng.choice(_COURTS[lab]), rng.choice(_LAST), rng.choice(_FIRST),
                    dob, lab, status, status_date, phone, language, code))
    return out


# The registry's person record: each row its own person, except the featured
# Carter-Whitfield cases (rows 2 and 3), which the registry files under one person.
_SAME_PERSON = {3: 2}


def csv_text() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows((*row, f"P{_SAME_PERSON.get(n, n):04d}") for n, row in enumerate(rows()))
    return buffer.getvalue()


def shipped_csv() -> Path:
    """The demo CSV inside the installed package."""
    return Path(str(resources.files("bot").joinpath("demo_cases.csv")))


if __name__ == "__main__":  # pragma: no cover
    shipped_csv().write_text(csv_text(), encoding="utf-8")
