"""Country and organisation codes valid in an MRZ.

ISO 3166-1 alpha-3 codes come from pycountry (current and historic, since old
documents stay in circulation); ICAO Doc 9303 part 3 adds its own codes for
organisations, special nationality statuses and specimens.
"""

from __future__ import annotations

from functools import cache

#: ICAO 9303 part 3 codes that are not ISO 3166-1 alpha-3 country codes.
ICAO_CODES: dict[str, str] = {
    "D": "Germany",
    "EUE": "European Union",
    "GBD": "British Overseas Territories Citizen",
    "GBN": "British National (Overseas)",
    "GBO": "British Overseas Citizen",
    "GBP": "British Protected Person",
    "GBS": "British Subject",
    "RKS": "Kosovo",
    "UNA": "Specialized agency of the United Nations",
    "UNK": "Resident of Kosovo (UNMIK)",
    "UNO": "United Nations Organization",
    "UTO": "Utopia (specimen documents)",
    "XBA": "African Development Bank",
    "XCC": "Caribbean Community",
    "XCE": "Council of Europe",
    "XCO": "Common Market for Eastern and Southern Africa",
    "XDC": "Southern African Development Community",
    "XEC": "Economic Community of West African States",
    "XES": "Organisation of Eastern Caribbean States",
    "XIM": "African Export-Import Bank",
    "XMP": "Parliamentary Assembly of the Mediterranean",
    "XOM": "Sovereign Military Order of Malta",
    "XPO": "International Criminal Police Organization (INTERPOL)",
    "XXA": "Stateless person",
    "XXB": "Refugee (1951 Convention)",
    "XXC": "Refugee (other)",
    "XXX": "Person of unspecified nationality",
}


@cache
def known_codes() -> frozenset[str]:
    """Every code accepted as issuing state or nationality (without '<' padding)."""
    import pycountry

    codes = {c.alpha_3 for c in pycountry.countries}
    codes.update(c.alpha_3 for c in pycountry.historic_countries)
    codes.discard("DEU")  # Germany is 'D' in MRZs; 'DEU' is not used by ICAO
    codes.update(ICAO_CODES)
    return frozenset(codes)


def is_known_code(code: str) -> bool:
    """True if ``code`` (padding '<' stripped) is a valid MRZ state or organisation code."""
    return code.rstrip("<") in known_codes()


def country_name(code: str) -> str | None:
    """The English name for an MRZ code, or None if unknown."""
    code = code.rstrip("<")
    if code in ICAO_CODES:
        return ICAO_CODES[code]
    import pycountry

    found = pycountry.countries.get(alpha_3=code) or pycountry.historic_countries.get(alpha_3=code)
    return str(found.name) if found is not None else None
