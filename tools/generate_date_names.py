"""Generate ``transforms/core/date_names.py`` from CLDR, as shipped in ``babel``'s wheel.

Run from the repository root (offline; babel carries the CLDR data)::

    python tools/generate_date_names.py          # rewrite the table
    python tools/generate_date_names.py --check  # exit 1 if the committed table is stale

Month names (wide and abbreviated, format/genitive and stand-alone forms), weekday names
(wide and abbreviated), the year suffixes of the long date patterns (``г.``, ``р.``) and
the year/month/day markers of the CJK long patterns (``年 月 日``, ``년 월 일``) are taken
from CLDR. A name that two languages give to different months is left out and listed in
``MONTH_NAME_CONFLICTS``.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from pathlib import Path

import babel
from babel import Locale

TARGET = Path(__file__).resolve().parent.parent / "transforms" / "core" / "date_names.py"

# Language -> CLDR locales whose names are merged (regional Arabic calendars differ:
# Levantine/Iraqi "آذار", Maghreb "مارس"/"ماي", Algerian/Tunisian "جانفي").
WORD_MONTH_LOCALES = {
    "de": ("de", "de_AT", "de_CH"),
    "fr": ("fr", "fr_CA"),
    "es": ("es", "es_MX"),
    "it": ("it",),
    "pt": ("pt", "pt_PT"),
    "nl": ("nl",),
    "pl": ("pl",),
    "ru": ("ru",),
    "uk": ("uk",),
    "tr": ("tr",),
    "ar": ("ar", "ar_SY", "ar_IQ", "ar_LB", "ar_MA", "ar_DZ", "ar_TN"),
    "el": ("el",),
    "cs": ("cs",),
    "sv": ("sv",),
    "da": ("da",),
    "nb": ("nb",),
    "ro": ("ro",),
    "id": ("id",),
    "hi": ("hi",),
}
# Scripts whose months are numbers with a marker (3月, 3월): weekdays and markers only.
CJK_LOCALES = {"zh": ("zh", "zh_Hant"), "ja": ("ja",), "ko": ("ko",)}
_CJK_MARKERS_RE = re.compile(r"^y([^yMd\s'])\s*M+([^yMd\s'])?\s*d([^yMd\s'])$")
_YEAR_SUFFIX_RE = re.compile(r"y\s*'([^']+)'(\.?)$")


def name_key(name: str) -> str:
    """The lookup form of a name: casefolded, NFC, single spaces, no trailing dot."""
    key = unicodedata.normalize("NFC", name.casefold().replace("\u0307", ""))
    return " ".join(key.rstrip(".\u0970").split())


def _names(mapping) -> list[tuple[int, str]]:
    return [(number, name) for number, name in mapping.items()]


def _month_names(locale: Locale) -> list[tuple[int, str]]:
    names = []
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            names.extend(_names(locale.months[context][width]))
    return names


def _weekday_names(locale: Locale) -> set[str]:
    names = set()
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            names.update(locale.days[context][width].values())
    return names


def build() -> dict[str, object]:
    months: dict[str, dict[str, int]] = {}
    weekdays: dict[str, list[str]] = {}
    year_suffixes: set[str] = set()
    for language, locales in WORD_MONTH_LOCALES.items():
        table: dict[str, int] = {}
        days: set[str] = set()
        for identifier in locales:
            locale = Locale.parse(identifier)
            for number, name in _month_names(locale):
                key = name_key(name)
                if key and not any(c.isdigit() for c in key):
                    table.setdefault(key, number)
            days.update(name_key(day) for day in _weekday_names(locale))
            suffix = _YEAR_SUFFIX_RE.search(locale.date_formats["long"].pattern)
            if suffix:
                year_suffixes.add(suffix.group(1) + suffix.group(2))
        months[language] = dict(sorted(table.items()))
        weekdays[language] = sorted(d for d in days if d)
    markers: set[tuple[str, str, str]] = set()
    for language, locales in CJK_LOCALES.items():
        days = set()
        for identifier in locales:
            locale = Locale.parse(identifier)
            days.update(name_key(day) for day in _weekday_names(locale))
            found = _CJK_MARKERS_RE.match(locale.date_formats["long"].pattern)
            if found:
                year, month, day = found.groups()
                if month is None:  # "y년 MMMM d일": the marker is part of the month name
                    month = locale.months["format"]["abbreviated"][3].lstrip("0123456789")
                markers.add((year, month, day))
        weekdays[language] = sorted(days)
    owners: dict[str, set[int]] = {}
    for table in months.values():
        for key, number in table.items():
            owners.setdefault(key, set()).add(number)
    conflicts = sorted(key for key, numbers in owners.items() if len(numbers) > 1)
    for table in months.values():
        for key in conflicts:
            table.pop(key, None)
    return {
        "months": months,
        "weekdays": weekdays,
        "year_suffixes": sorted(year_suffixes),
        "markers": sorted(markers),
        "conflicts": conflicts,
    }


def render(data: dict[str, object]) -> str:
    lines = [
        '"""Month and weekday names from CLDR (generated: do not edit).',
        "",
        "Generated by ``tools/generate_date_names.py`` from the CLDR data in "
        f"babel {babel.__version__}.",
        "Keys are lookup forms: casefolded, NFC, without a trailing dot.",
        '"""',
        "",
        "# fmt: off",
        "MONTHS_BY_LANGUAGE: dict[str, dict[str, int]] = {",
    ]
    for language, table in data["months"].items():
        lines.append(f"    {language!r}: {{")
        lines.extend(f"        {key!r}: {number}," for key, number in table.items())
        lines.append("    },")
    lines.append("}")
    lines.append("WEEKDAYS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {")
    for language, names in data["weekdays"].items():
        lines.append(f"    {language!r}: (")
        lines.extend(f"        {name!r}," for name in names)
        lines.append("    ),")
    lines.append("}")
    lines.append(f"YEAR_SUFFIXES: tuple[str, ...] = {tuple(data['year_suffixes'])!r}")
    lines.append(f"CJK_DATE_MARKERS: tuple[tuple[str, str, str], ...] = {tuple(data['markers'])!r}")
    lines.append(f"MONTH_NAME_CONFLICTS: tuple[str, ...] = {tuple(data['conflicts'])!r}")
    lines.append("# fmt: on")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the table is stale")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is stale: run tools/generate_date_names.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
