"""ICAO Doc 9303 specimen MRZs, one or more per format, as printed in the standard."""

from __future__ import annotations

import datetime as dt

#: a date at which the standard's ERIKSSON specimens are valid and unexpired
BEFORE_EXPIRY = dt.date(2010, 1, 1)

ICAO = {
    "TD1": ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"],
    "TD1_LONG": ["I<UTOD23145890<7349<<<<<<<<<<<", "3407127M9507122UTO<<<<<<<<<<<2",
                 "STEVENSON<<PETER<JOHN<<<<<<<<<"],
    "TD2": ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"],
    "TD3": ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10"],
    "MRVA": ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
             "L8988901C4XXX4009078F96121096ZE184226B<<<<<<"],
    "MRVB": ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<"],
    "FRA_ID": ["IDFRADOUEL<<<<<<<<<<<<<<<<<<<<932013", "0506932020438CHRISTIANE<<NI2906209F3"],
}

#: per specimen, a date at which it is valid and unexpired
TODAY = {name: BEFORE_EXPIRY for name in ICAO}
TODAY.update(TD1_LONG=dt.date(1993, 1, 1), MRVA=dt.date(1995, 1, 1), MRVB=dt.date(1995, 1, 1))
