"""Build models/name_letters.json: letter trigram counts of personal names, for the MRZ reader.

The MRZ name field carries no check digit: where the cell CNN is unsure between two
letters (a blurred E or F, O or Q), ``docfraud.mrz.names`` lets the letter statistics of
real names decide. The counts come from the name lists of Faker's person providers
(https://github.com/joke2k/faker, MIT licence): every locale whose names are written in
Latin script, first and last names, and the romanised names of the Chinese and Japanese
locales, transliterated as ICAO 9303 recommends
(``docfraud.mrz.generate.transliterate``). These lists are independent of docfraud's own
synthetic-name lists (``docfraud.mrz.generate``, ``docfraud.synth.identity``).

Run (needs Faker, a ``[dev]`` dependency; the pinned version reproduces the shipped file)::

    python scripts/build_name_model.py            # -> models/name_letters.json
    python scripts/build_name_model.py --exclude-generator-names --out /tmp/x.json

``--exclude-generator-names`` drops every name that shares a word with docfraud's
synthetic-name lists: the leak check of docs/benchmarks.md (the reader's gain must come
from letter statistics, not from knowing the benchmark's names).
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "models" / "name_letters.json"
ATTRS = ("first_names", "last_names", "first_names_male", "first_names_female",
         "last_names_male", "last_names_female",
         # Latin spellings the Chinese and Japanese providers give beside their own script
         "first_romanized_names", "first_romanized_names_male",
         "first_romanized_names_female", "last_romanized_names")


def faker_names() -> tuple[set[str], str]:
    """Every Latin-script name of Faker's person providers, as MRZ characters."""
    import faker
    import faker.providers.person as person

    from docfraud.mrz.generate import transliterate

    names: set[str] = set()
    for mod in pkgutil.iter_modules(person.__path__):
        try:
            provider = importlib.import_module(f"{person.__name__}.{mod.name}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in ATTRS:
            values = getattr(provider, attr, None)
            if values is None or isinstance(values, property):
                continue
            for raw in values.keys() if isinstance(values, dict) else values:
                # Latin script only: anything beyond Latin Extended-B is another script
                if not raw or any(ord(ch) > 0x24F for ch in str(raw)):
                    continue
                text = transliterate(str(raw))
                if len(text) >= 2:
                    names.add(text)
    return names, str(faker.VERSION)


def generator_words() -> set[str]:
    """The words of docfraud's own synthetic-name lists (for the leak check)."""
    from docfraud.mrz.generate import transliterate

    gen = importlib.import_module("docfraud.mrz.generate")
    ident = importlib.import_module("docfraud.synth.identity")
    values = list(gen._SURNAMES) + list(gen._GIVEN)
    for tradition in ident._TRADITIONS.values():
        for names in tradition[:3]:
            values.extend(names)
    return {w for v in values for w in transliterate(v).split("<") if w}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--exclude-generator-names", action="store_true",
                    help="drop names sharing a word with docfraud's synthetic-name lists")
    args = ap.parse_args(argv)

    from docfraud.mrz.names import ALPHABET, count_trigrams

    names, version = faker_names()
    excluded = 0
    if args.exclude_generator_names:
        words = generator_words()
        kept = {n for n in names if not ({w for w in n.split("<") if w} & words)}
        excluded = len(names) - len(kept)
        names = kept
    counts = count_trigrams(sorted(names))
    doc = {
        "description": "letter trigram counts of personal names (MRZ characters); "
                       "counts[a][b][c] = how often c follows a, b ('<' = word boundary)",
        "source": f"faker {version}, person providers: Latin-script locales and romanised "
                  "Chinese and Japanese names, ICAO transliteration",
        "script": "scripts/build_name_model.py",
        "names": len(names),
        "excluded_generator_names": excluded,
        "alphabet": ALPHABET,
        "counts": counts.tolist(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"{args.out}: {len(names)} names (faker {version}), {int(counts.sum())} trigrams"
          + (f", {excluded} names sharing a word with the generator's lists left out"
             if args.exclude_generator_names else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
