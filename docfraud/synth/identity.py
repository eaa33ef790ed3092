"""Synthetic document holders: names from many naming traditions, plausible dates.

Names are given as a holder's document would print them in the visual zone
(Latin script, with diacritics where the tradition has them); the MRZ core
transliterates and truncates them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

#: Date all synthetic documents are judged against ("today" of the generator), so that
#: output does not depend on the day it is generated.
REFERENCE_DATE = dt.date(2026, 11, 1)

# (surnames, male given names, female given names, nationality codes)
_TRADITIONS: dict[
    str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]
] = {
    "germanic": (
        (
            "Müller",
            "Schäfer",
            "Groß",
            "Köhler",
            "Van der Berg",
            "Østergaard",
            "Ångström",
            "Schmidt-Brückner",
            "Hoffmann",
            "Lindqvist",
            "Jørgensen",
            "De Vries",
        ),
        ("Jörg", "Lukas", "Søren", "Maximilian Friedrich", "Jan", "Björn", "Pieter"),
        ("Jürgen", "Anneliese", "Åsa", "Sophie Charlotte", "Ingrid", "Maren", "Lotte"),
        ("D", "AUT", "NLD", "DNK", "SWE", "NOR", "CHE"),
    ),
    "romance": (
        (
            "García Márquez",
            "Dos Santos Pereira de Oliveira",
            "Núñez",
            "Rossi",
            "Lefèvre",
            "Da Conceição",
            "Fernández de Córdoba y Mendoza",
            "Ribeiro",
            "Esposito",
            "Dubois",
        ),
        ("José María", "João Pedro", "François", "Giovanni", "Íñigo", "Álvaro", "Luís Miguel"),
        ("María José", "Conceição", "Hélène", "Francesca", "Inês", "Leonor", "Amélie"),
        ("ESP", "PRT", "FRA", "ITA", "BRA", "MEX", "ARG"),
    ),
    "slavic": (
        (
            "Kowalczyk",
            "Wiśniewska",
            "Dvořák",
            "Novák",
            "Shevchenko",
            "Ivanova",
            "Kuznetsov",
            "Petrović",
            "Zelenskyi",
            "Grzegorczyk-Brzęczyszczykiewicz",
        ),
        ("Łukasz", "Mikhail", "Oleksandr", "Jiří", "Dragan", "Wojciech", "Vsevolod"),
        ("Agnieszka", "Yuliia", "Ekaterina", "Zuzana", "Milica", "Małgorzata", "Oksana"),
        ("POL", "CZE", "UKR", "SRB", "SVK", "HRV", "BGR"),
    ),
    "arabic": (
        (
            "Al-Hashimi",
            "Abdul Rahman",
            "El Mansouri",
            "Bin Khalid Al Thani",
            "Haddad",
            "Abu Bakr",
            "Al-Zahrani",
            "Ben Youssef",
            "Abdelkader",
        ),
        ("Mohammed", "Abdullah", "Omar Farouk", "Youssef", "Khalid", "Abd Al-Aziz"),
        ("Fatima Zahra", "Aisha", "Mariam", "Layla", "Noor", "Khadija", "Salma"),
        ("MAR", "EGY", "JOR", "SAU", "TUN", "LBN", "ARE"),
    ),
    "east_asian": (
        ("Wang", "Li", "Zhang", "Nguyễn", "Trần", "Kim", "Park", "Tanaka", "Watanabe", "Ouyang"),
        ("Wei", "Hao Ran", "Minh Tuấn", "Ji-hoon", "Hiroshi", "Zhi Qiang", "Quốc Bảo"),
        ("Xiu Ying", "Mei Ling", "Thị Hương", "Seo-yeon", "Yuki", "Ngọc Ánh", "Hana"),
        ("CHN", "VNM", "KOR", "JPN", "TWN", "SGP"),
    ),
    "south_asian": (
        (
            "Venkataraghavan",
            "Sharma",
            "Chowdhury",
            "Subramanian",
            "Patel",
            "Bandaranaike",
            "Ramachandran Pillai",
            "Khan",
            "Siddiqui",
        ),
        ("Ramanathan Krishnamurthy", "Arjun", "Mohammad Tariq", "Sanjay", "Rahul", "Imran"),
        ("Lakshmi Priya", "Ananya", "Farhana", "Sunita", "Kavitha", "Nusrat Jahan"),
        ("IND", "PAK", "BGD", "LKA", "NPL"),
    ),
    "african": (
        (
            "Okonkwo",
            "Adebayo-Williams",
            "Mensah",
            "Haile Selassie",
            "Ndlovu",
            "Kamau",
            "Oluwaseun",
            "Diallo",
            "Traoré",
            "Tesfaye",
        ),
        ("Chukwuemeka", "Kwame", "Abebe", "Thabo", "Mamadou", "Oluwadamilare", "Kofi"),
        ("Ngozi", "Amara", "Chiamaka Adaeze", "Fatoumata", "Wanjiru", "Nomvula", "Abena"),
        ("NGA", "GHA", "ETH", "ZAF", "KEN", "SEN", "MLI"),
    ),
    "turkic_persian": (
        (
            "Yılmaz",
            "Öztürk",
            "Çelik",
            "Şahin",
            "Hosseini",
            "Tehrani",
            "Nazarbayev",
            "Abdurakhmonov",
        ),
        ("Mehmet Ali", "Çağrı", "Reza", "Dariush", "Nursultan", "Alisher"),
        ("Ayşe", "Gülşen", "Zeynep", "Shirin", "Parisa", "Dilnoza"),
        ("TUR", "IRN", "KAZ", "UZB", "AZE"),
    ),
}

PLACES: tuple[str, ...] = (
    "Utopia City",
    "Port Meridian",
    "Nova Aurelia",
    "Lakeside",
    "Saint-Étienne",
    "München",
    "São Paulo",
    "Kraków",
    "Casablanca",
    "Hà Nội",
    "Chennai",
    "Lagos",
    "İstanbul",
    "Thessaloniki",
    "Ciudad de México",
    "Addis Ababa",
    "Łódź",
    "Ho Chi Minh City",
    "Nizhny Novgorod",
    "Kuala Lumpur",
)


@dataclass(frozen=True)
class Identity:
    """The holder and the issuance facts of one document (the genuine values).

    Dates are :class:`datetime.date`. ``face_seed`` determines the procedural
    portrait; two identities with the same face seed show the same person.
    """

    surname: str
    given_names: str
    sex: str  # "M", "F" or "X"
    birth_date: dt.date
    place_of_birth: str
    nationality: str
    issuing_state: str
    document_code: str
    document_number: str
    issue_date: dt.date
    expiry_date: dt.date
    authority: str
    personal_number: str
    face_seed: int

    def mrz_fields(self) -> dict[str, Any]:
        """Fields as :func:`docfraud.mrz.generate` takes them."""
        return {
            "document_code": self.document_code,
            "issuing_state": self.issuing_state,
            "surname": self.surname,
            "given_names": self.given_names,
            "document_number": self.document_number,
            "nationality": self.nationality,
            "birth_date": self.birth_date,
            "sex": self.sex,
            "expiry_date": self.expiry_date,
            "optional_data": self.personal_number,
        }

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, dt.date):
                out[key] = value.isoformat()
        return out

    def with_changes(self, **changes: Any) -> Identity:
        return replace(self, **changes)

    @property
    def expired(self) -> bool:
        return self.expiry_date < REFERENCE_DATE


def _pick(rng: np.random.Generator, items: tuple[str, ...]) -> str:
    return items[int(rng.integers(len(items)))]


def random_name(rng: np.random.Generator, sex: str) -> tuple[str, str, str]:
    """(surname, given names, a nationality code of the tradition) for ``sex``."""
    tradition = _TRADITIONS[_pick(rng, tuple(_TRADITIONS))]
    surnames, male, female, nations = tradition
    pool = male if sex == "M" else female if sex == "F" else male + female
    given = _pick(rng, pool)
    if rng.random() < 0.25:  # a second given name
        extra = _pick(rng, pool)
        if extra != given:
            given = f"{given} {extra}"
    return _pick(rng, surnames), given, _pick(rng, nations)


def random_date(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly drawn date in [start, end]."""
    days = (end - start).days
    return start + dt.timedelta(days=int(rng.integers(0, max(days, 0) + 1)))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def random_identity(
    rng: np.random.Generator,
    *,
    issuing_state: str,
    document_code: str,
    number_prefix: str,
    number_digits: int,
    authority: str,
    validity_years: int,
    foreign_holders: bool,
    personal_number: bool,
    expired_rate: float = 0.12,
) -> Identity:
    """Draw a holder and a document of one design.

    Args:
        rng: random generator (consumed).
        issuing_state: 3-letter code of the issuer.
        document_code: MRZ document code (``"P"``, ``"ID"``, ``"AR"``, ...).
        number_prefix, number_digits: the issuer's numbering scheme.
        authority: issuing authority printed in the visual zone.
        validity_years: validity of the document (expiry = issue + years - 1 day).
        foreign_holders: nationality drawn from the holder's naming tradition instead of
            the issuing state (residence permits).
        personal_number: whether the design prints a personal number.
        expired_rate: share of documents already expired at :data:`REFERENCE_DATE`.
    """
    r = float(rng.random())
    sex = "M" if r < 0.49 else "F" if r < 0.98 else "X"
    surname, given, tradition_nation = random_name(rng, sex)
    today = REFERENCE_DATE
    birth = random_date(rng, dt.date(1938, 1, 1), dt.date(today.year - 18, 1, 1))
    if rng.random() < expired_rate:
        expiry = random_date(rng, add_years(today, -6), today - dt.timedelta(days=1))
    else:
        expiry = random_date(rng, today, add_years(today, validity_years) - dt.timedelta(days=2))
    issue = add_years(expiry, -validity_years) + dt.timedelta(days=1)
    if issue <= birth:
        birth = add_years(issue, -int(rng.integers(1, 60)))
    digits = "".join(str(int(d)) for d in rng.integers(0, 10, size=number_digits))
    number = number_prefix + digits
    personal = ""
    if personal_number:
        personal = birth.strftime("%y%m%d") + "".join(str(int(d)) for d in rng.integers(0, 10, 5))
    return Identity(
        surname=surname,
        given_names=given,
        sex=sex,
        birth_date=birth,
        place_of_birth=_pick(rng, PLACES),
        nationality=tradition_nation if foreign_holders else issuing_state,
        issuing_state=issuing_state,
        document_code=document_code,
        document_number=number,
        issue_date=issue,
        expiry_date=expiry,
        authority=authority,
        personal_number=personal,
        face_seed=int(rng.integers(0, 2**31 - 1)),
    )
