"""Fictional document designs of the specimen state Utopia (ICAO code ``UTO``).

Every design is data: page size, palette, title, bilingual labels, where the
portrait, the ghost image and each visual-zone field sit (in millimetres), and
the issuer's numbering scheme. :mod:`docfraud.synth.render` draws them.

Geometry follows ICAO Doc 9303: TD3 pages are 125 x 88 mm, TD2 105 x 74 mm,
TD1 85.6 x 54 mm (a TD1 card is drawn front above back, as scanned or
photographed side by side, because its MRZ is on the back).
"""

from __future__ import annotations

from dataclasses import dataclass

from docfraud.errors import InputError

#: Rendering scale of pages (pixels per millimetre; about 305 dpi).
PX_PER_MM = 12.0

RGB = tuple[int, int, int]

#: Label of each visual-zone field: English and the design's second language.
LABELS: dict[str, dict[str, str]] = {
    "type": {"en": "Type", "fr": "Type", "es": "Tipo", "de": "Typ", "pt": "Tipo"},
    "code": {"en": "Code", "fr": "Code", "es": "Código", "de": "Kode", "pt": "Código"},
    "number": {
        "en": "Document No.",
        "fr": "N° du document",
        "es": "N.º documento",
        "de": "Dokumentennr.",
        "pt": "N.º documento",
    },
    "passport_number": {
        "en": "Passport No.",
        "fr": "N° du passeport",
        "es": "N.º pasaporte",
        "de": "Pass-Nr.",
        "pt": "N.º passaporte",
    },
    "surname": {"en": "Surname", "fr": "Nom", "es": "Apellidos", "de": "Name", "pt": "Apelido"},
    "given_names": {
        "en": "Given names",
        "fr": "Prénoms",
        "es": "Nombres",
        "de": "Vornamen",
        "pt": "Nomes próprios",
    },
    "nationality": {
        "en": "Nationality",
        "fr": "Nationalité",
        "es": "Nacionalidad",
        "de": "Staatsangehörigkeit",
        "pt": "Nacionalidade",
    },
    "birth_date": {
        "en": "Date of birth",
        "fr": "Date de naissance",
        "es": "Fecha de nacimiento",
        "de": "Geburtsdatum",
        "pt": "Data de nascimento",
    },
    "sex": {"en": "Sex", "fr": "Sexe", "es": "Sexo", "de": "Geschlecht", "pt": "Sexo"},
    "place_of_birth": {
        "en": "Place of birth",
        "fr": "Lieu de naissance",
        "es": "Lugar de nacimiento",
        "de": "Geburtsort",
        "pt": "Local de nascimento",
    },
    "issue_date": {
        "en": "Date of issue",
        "fr": "Date de délivrance",
        "es": "Fecha de expedición",
        "de": "Ausstellungsdatum",
        "pt": "Data de emissão",
    },
    "authority": {
        "en": "Authority",
        "fr": "Autorité",
        "es": "Autoridad",
        "de": "Behörde",
        "pt": "Autoridade",
    },
    "expiry_date": {
        "en": "Date of expiry",
        "fr": "Date d'expiration",
        "es": "Fecha de caducidad",
        "de": "Gültig bis",
        "pt": "Data de validade",
    },
    "personal_number": {
        "en": "Personal No.",
        "fr": "N° personnel",
        "es": "N.º personal",
        "de": "Persönliche Nr.",
        "pt": "N.º pessoal",
    },
    "signature": {
        "en": "Holder's signature",
        "fr": "Signature du titulaire",
        "es": "Firma del titular",
        "de": "Unterschrift",
        "pt": "Assinatura",
    },
}

MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    "fr": (
        "JANV",
        "FÉVR",
        "MARS",
        "AVR",
        "MAI",
        "JUIN",
        "JUIL",
        "AOÛT",
        "SEPT",
        "OCT",
        "NOV",
        "DÉC",
    ),
    "es": ("ENE", "FEB", "MAR", "ABR", "MAY", "JUN", "JUL", "AGO", "SEP", "OCT", "NOV", "DIC"),
    "de": ("JAN", "FEB", "MÄR", "APR", "MAI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEZ"),
    "pt": ("JAN", "FEV", "MAR", "ABR", "MAI", "JUN", "JUL", "AGO", "SET", "OUT", "NOV", "DEZ"),
}


@dataclass(frozen=True)
class Slot:
    """Where one visual-zone field is printed: label top-left at (x, y) mm, ``w`` mm wide.

    ``side`` is 0 for the front (or the only side) and 1 for the back of a card.
    """

    key: str
    x: float
    y: float
    w: float
    side: int = 0


@dataclass(frozen=True)
class Palette:
    bg1: RGB
    bg2: RGB
    line1: RGB
    line2: RGB
    accent: RGB
    label: RGB
    ink: RGB = (24, 22, 30)


@dataclass(frozen=True)
class Design:
    """One fictional document design (all lengths in millimetres)."""

    name: str
    format: str  # "TD1", "TD2" or "TD3"
    document_code: str
    title: tuple[str, str]
    state: tuple[str, str]
    lang: str  # second language of labels
    card_mm: tuple[float, float]
    palette: Palette
    portrait: tuple[float, float, float, float]
    ghost: tuple[float, float, float, float] | None
    ghost_side: int
    emblem: tuple[float, float, float]
    slots: tuple[Slot, ...]
    number_prefix: str
    number_digits: int
    validity_years: int
    authority: str
    foreign_holders: bool = False
    personal_number: bool = True
    date_style: str = "mon"  # "mon": 12 MAR/MARS 1985, "dot": 12.03.1985
    label_cap_mm: float = 1.15
    value_cap_mm: float = 2.3
    portrait_overlay: float = 0.14  # guilloche printed across the portrait
    grey_portrait: bool = False
    pattern_seed: int = 0

    @property
    def two_sided(self) -> bool:
        return self.format == "TD1"

    @property
    def gap_mm(self) -> float:
        return 6.0 if self.two_sided else 0.0

    @property
    def page_mm(self) -> tuple[float, float]:
        w, h = self.card_mm
        return (w, 2 * h + self.gap_mm) if self.two_sided else (w, h)

    def side_offset_mm(self, side: int) -> float:
        return side * (self.card_mm[1] + self.gap_mm)


def _td3_slots(ghost: bool) -> tuple[Slot, ...]:
    wide = 52.0 if ghost else 76.0
    return (
        Slot("type", 45, 12.5, 12),
        Slot("code", 60, 12.5, 16),
        Slot("passport_number", 84, 12.5, 36),
        Slot("surname", 45, 18.5, wide),
        Slot("given_names", 45, 24.5, wide),
        Slot("nationality", 45, 30.5, 25),
        Slot("personal_number", 72, 30.5, 26),
        Slot("birth_date", 45, 36.5, 25),
        Slot("sex", 72, 36.5, 12),
        Slot("place_of_birth", 45, 42.5, wide),
        Slot("issue_date", 45, 48.5, 25),
        Slot("authority", 72, 48.5, 26 if ghost else 48),
        Slot("expiry_date", 45, 54.5, 25),
        Slot("signature", 72, 54.5, 26),
    )


def _td2_slots() -> tuple[Slot, ...]:
    return (
        Slot("type", 36, 11.0, 10),
        Slot("code", 48, 11.0, 14),
        Slot("number", 64, 11.0, 36),
        Slot("surname", 36, 16.5, 46),
        Slot("given_names", 36, 22.0, 46),
        Slot("nationality", 36, 27.5, 22),
        Slot("sex", 60, 27.5, 20),
        Slot("birth_date", 36, 33.0, 22),
        Slot("expiry_date", 60, 33.0, 22),
        Slot("issue_date", 36, 38.5, 22),
        Slot("authority", 60, 38.5, 22),
        Slot("signature", 36, 44.0, 40),
    )


def _td1_slots(number_key: str = "number") -> tuple[Slot, ...]:
    return (
        Slot("surname", 29, 9.5, 52),
        Slot("given_names", 29, 14.6, 52),
        Slot("sex", 29, 19.7, 10),
        Slot("nationality", 41, 19.7, 24),
        Slot("birth_date", 29, 24.8, 36),
        Slot(number_key, 29, 29.9, 22),
        Slot("expiry_date", 52, 29.9, 17),
        Slot("signature", 29, 35.8, 38),
        Slot("place_of_birth", 4, 4.0, 48, side=1),
        Slot("issue_date", 4, 9.6, 30, side=1),
        Slot("authority", 4, 15.2, 50, side=1),
        Slot("personal_number", 4, 20.8, 30, side=1),
    )


DESIGNS: dict[str, Design] = {}


def _add(design: Design) -> None:
    DESIGNS[design.name] = design


_add(
    Design(
        name="uto_passport_2020",
        format="TD3",
        document_code="P",
        title=("PASSPORT", "PASSEPORT"),
        state=("REPUBLIC OF UTOPIA", "RÉPUBLIQUE D'UTOPIE"),
        lang="fr",
        card_mm=(125.0, 88.0),
        palette=Palette(
            bg1=(226, 238, 236),
            bg2=(236, 230, 244),
            line1=(120, 170, 175),
            line2=(180, 150, 200),
            accent=(20, 70, 110),
            label=(40, 80, 110),
        ),
        portrait=(6.0, 17.0, 35.0, 45.0),
        ghost=(100.0, 31.0, 20.0, 26.0),
        ghost_side=0,
        emblem=(104.0, 7.0, 5.0),
        slots=_td3_slots(True),
        number_prefix="UT",
        number_digits=7,
        validity_years=10,
        authority="MINISTRY OF INTERIOR",
        pattern_seed=11,
    )
)
_add(
    Design(
        name="uto_passport_2012",
        format="TD3",
        document_code="P",
        title=("PASSPORT", "PASAPORTE"),
        state=("REPUBLIC OF UTOPIA", "REPÚBLICA DE UTOPÍA"),
        lang="es",
        card_mm=(125.0, 88.0),
        palette=Palette(
            bg1=(244, 230, 222),
            bg2=(238, 236, 214),
            line1=(200, 140, 130),
            line2=(170, 160, 110),
            accent=(120, 30, 40),
            label=(110, 50, 50),
        ),
        portrait=(6.0, 17.0, 35.0, 45.0),
        ghost=None,
        ghost_side=0,
        emblem=(112.0, 40.0, 9.0),
        slots=_td3_slots(False),
        number_prefix="K",
        number_digits=8,
        validity_years=10,
        authority="PASSPORT OFFICE UTOPIA CITY",
        date_style="dot",
        portrait_overlay=0.0,
        pattern_seed=23,
    )
)
_add(
    Design(
        name="uto_diplomatic_2018",
        format="TD3",
        document_code="PD",
        title=("DIPLOMATIC PASSPORT", "PASSAPORTE DIPLOMÁTICO"),
        state=("REPUBLIC OF UTOPIA", "REPÚBLICA DA UTOPIA"),
        lang="pt",
        card_mm=(125.0, 88.0),
        palette=Palette(
            bg1=(232, 232, 222),
            bg2=(214, 226, 240),
            line1=(90, 120, 160),
            line2=(160, 150, 90),
            accent=(30, 30, 80),
            label=(50, 50, 90),
        ),
        portrait=(6.0, 17.0, 35.0, 45.0),
        ghost=(100.0, 33.0, 20.0, 24.0),
        ghost_side=0,
        emblem=(104.0, 7.0, 5.0),
        slots=tuple(s for s in _td3_slots(True) if s.key != "personal_number"),
        number_prefix="D",
        number_digits=7,
        validity_years=5,
        authority="MINISTRY OF FOREIGN AFFAIRS",
        personal_number=False,
        grey_portrait=True,
        pattern_seed=37,
    )
)
_add(
    Design(
        name="uto_id_2019",
        format="TD1",
        document_code="ID",
        title=("IDENTITY CARD", "CARTE D'IDENTITÉ"),
        state=("REPUBLIC OF UTOPIA", "RÉPUBLIQUE D'UTOPIE"),
        lang="fr",
        card_mm=(85.6, 54.0),
        palette=Palette(
            bg1=(230, 240, 248),
            bg2=(246, 236, 226),
            line1=(110, 160, 200),
            line2=(210, 160, 120),
            accent=(10, 60, 120),
            label=(30, 70, 120),
        ),
        portrait=(3.0, 10.0, 24.0, 31.0),
        ghost=(69.0, 27.0, 13.0, 17.0),
        ghost_side=0,
        emblem=(78.0, 5.5, 3.5),
        slots=_td1_slots(),
        number_prefix="UID",
        number_digits=6,
        validity_years=10,
        authority="CITY HALL OF PORT MERIDIAN",
        label_cap_mm=0.95,
        value_cap_mm=1.9,
        pattern_seed=41,
    )
)
_add(
    Design(
        name="uto_residence_2021",
        format="TD1",
        document_code="AR",
        title=("RESIDENCE PERMIT", "AUFENTHALTSTITEL"),
        state=("REPUBLIC OF UTOPIA", "REPUBLIK UTOPIA"),
        lang="de",
        card_mm=(85.6, 54.0),
        palette=Palette(
            bg1=(232, 244, 228),
            bg2=(242, 238, 220),
            line1=(120, 180, 120),
            line2=(190, 170, 100),
            accent=(30, 90, 50),
            label=(40, 90, 60),
        ),
        portrait=(3.0, 10.0, 24.0, 31.0),
        ghost=None,
        ghost_side=0,
        emblem=(78.0, 5.5, 3.5),
        slots=_td1_slots(),
        number_prefix="RP",
        number_digits=7,
        validity_years=5,
        authority="IMMIGRATION SERVICE",
        foreign_holders=True,
        label_cap_mm=0.95,
        value_cap_mm=1.9,
        date_style="dot",
        grey_portrait=True,
        pattern_seed=53,
    )
)
_add(
    Design(
        name="uto_id_2008",
        format="TD2",
        document_code="I",
        title=("IDENTITY CARD", "DOCUMENTO DE IDENTIDAD"),
        state=("REPUBLIC OF UTOPIA", "REPÚBLICA DE UTOPÍA"),
        lang="es",
        card_mm=(105.0, 74.0),
        palette=Palette(
            bg1=(240, 234, 246),
            bg2=(226, 240, 240),
            line1=(160, 130, 190),
            line2=(110, 170, 170),
            accent=(70, 30, 100),
            label=(80, 50, 110),
        ),
        portrait=(5.0, 12.0, 27.0, 35.0),
        ghost=(84.0, 28.0, 16.0, 20.0),
        ghost_side=0,
        emblem=(95.0, 6.0, 4.5),
        slots=_td2_slots(),
        number_prefix="",
        number_digits=9,
        validity_years=10,
        authority="CIVIL REGISTRY",
        personal_number=False,
        label_cap_mm=1.05,
        value_cap_mm=2.1,
        pattern_seed=67,
    )
)


def get_design(name: str) -> Design:
    """The design called ``name``.

    Raises:
        InputError: no such design.
    """
    try:
        return DESIGNS[name]
    except KeyError:
        raise InputError(
            f"unknown design {name!r}; choose one of {', '.join(sorted(DESIGNS))}"
        ) from None
