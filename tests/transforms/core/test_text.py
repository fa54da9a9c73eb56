import random
import re
import sys
import unicodedata
from pathlib import Path

import pytest

from newsingest.transforms.core.text import (
    clean_text,
    content_hash,
    detect_title,
    strip_boilerplate,
)

SEEDS = {p.name[:3]: p for p in sorted(Path("/work/shared/seeds").glob("*.txt"))}
needs_seeds = pytest.mark.skipif(not SEEDS, reason="/work/shared/seeds not available")


def _seed(prefix: str) -> str:
    if prefix not in SEEDS:
        pytest.skip(f"seed {prefix} not available")
    return SEEDS[prefix].read_text(encoding="utf-8")


# --------------------------------------------------------------------------- clean_text

CLEAN_CASES = [
    ("plain", "Plain text.", "Plain text."),
    ("curly quotes", "“Yes,” she said. It’s ‘fine’.", "\"Yes,\" she said. It's 'fine'."),
    ("guillemets and low quotes", "«Da» „ja“ ‚so‘", '"Da" "ja" \'so\''),
    ("dashes", "a–b—c−1 ‒ 2 ― x ‑y ‐z", "a-b-c-1 - 2 - x -y -z"),
    ("nbsp and odd spaces", "12\u00a0000\u2009km\u202fnow\u3000here", "12 000 km now here"),
    ("zero width removed", "fo\u200bo\u2060bar\ufeff baz", "foobar baz"),
    ("soft hyphen removed", "Pyong\u00adyang", "Pyongyang"),
    (
        "entities",
        "5 &lt; 6 &amp; 7 &gt; 3 &quot;q&quot; &#8212; &#x2019;",
        '5 < 6 & 7 > 3 "q" - \'',
    ),
    ("reuters end of text", "Shr 46 cts vs 31 cts\n Reuter\n&#3;", "Shr 46 cts vs 31 cts\nReuter"),
    ("double escaped", "a &amp;lt; b", "a < b"),
    ("bare ampersand kept", "AT&T and R&D &c", "AT&T and R&D &c"),
    ("control chars", "a\x00b\x07c\x1bd\x7fe\x85f\x9fg", "abcde\nfg"),
    ("crlf and cr", "one\r\ntwo\rthree", "one\ntwo\nthree"),
    ("tabs and runs of spaces", "a\t\tb   c", "a b c"),
    ("trailing and leading spaces per line", "  a  \n   b   \n", "a\nb"),
    ("blank lines collapse, paragraphs kept", "p1\n\n\n\n \n\np2\np3", "p1\n\np2\np3"),
    ("nfkc", "ﬁnance Ｔｏｋｙｏ ２０２４ …", "finance Tokyo 2024 ..."),
    ("numbers kept", "1,234.5 vs -3% (2023/24)", "1,234.5 vs -3% (2023/24)"),
    ("line separators", "a\u2028b\u2029c\x0bd\x0ce", "a\nb\nc\nd\ne"),
    ("empty", "", ""),
    ("whitespace only", " \n\t\u00a0\n", ""),
]


@pytest.mark.parametrize(
    "raw,expected", [c[1:] for c in CLEAN_CASES], ids=[c[0] for c in CLEAN_CASES]
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


TRICKY = [
    "e\u200b\u0301",  # removal then composition
    "＆amp；lt；",  # NFKC creates an entity
    "&am\u200bp;lt;",  # removal creates an entity
    "&amp;amp;amp;amp;lt;",
    "a \u00a8 b",  # NFKC yields " \u0308"
    "x\u2033y\u2036",
    " \r\n\r\n\r\n ",
    "\u00a0\n\u00a0\n\u00a0\nz",
    "\u2011\ufe58\ufe63\uff0d",
    "&#13;&#10;x&#9;y",
    "\ud800lone surrogate",
]
_ALPHABET = (
    "aZ09 .,'\"\n\r\t&;#x3lt\u00a0\u200b\u00ad\u2013\u2014\u2019\u201c\u0301\u0308"
    "\u00e9\uff21\uff06\uff1b\u2028\u3000\x03\x85\ufb01\u2026\u00bd"
)
_rng = random.Random(20240328)
FUZZ = ["".join(_rng.choice(_ALPHABET) for _ in range(_rng.randrange(40))) for _ in range(400)]


@pytest.mark.parametrize("raw", TRICKY + FUZZ)
def test_clean_text_is_idempotent(raw):
    once = clean_text(raw)
    assert clean_text(once) == once


@pytest.mark.parametrize("raw", TRICKY + FUZZ)
def test_clean_text_output_invariants(raw):
    out = clean_text(raw)
    assert "\r" not in out and "  " not in out and "\n\n\n" not in out
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2010-\u2015\u2018-\u201f\u00a0]", out)
    assert out == out.strip()


@needs_seeds
@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_clean_text_on_seeds_keeps_content(prefix):
    raw = _seed(prefix)
    out = clean_text(raw)
    assert clean_text(out) == out
    assert out.split() == raw.replace("\u2019", "'").split()


# --------------------------------------------------------------------------- detect_title

TITLE_CASES = [
    (
        "blank line after headline",
        "Russia spy chief visits Pyongyang\n\nSergei Naryshkin arrived on Monday for talks.",
        "Russia spy chief visits Pyongyang",
        "Sergei Naryshkin arrived on Monday for talks.",
    ),
    (
        "reuters all caps, single newline",
        "BAHIA COCOA REVIEW\nShowers continued throughout the week in the Bahia cocoa zone.",
        "BAHIA COCOA REVIEW",
        "Showers continued throughout the week in the Bahia cocoa zone.",
    ),
    (
        "question headline",
        "Why Are North Korea and Russia Strengthening Ties Now?\n\n"
        "Recent developments show a deepening military alliance of the two states.",
        "Why Are North Korea and Russia Strengthening Ties Now?",
        "Recent developments show a deepening military alliance of the two states.",
    ),
    (
        "leading blank lines",
        "\n\nKim meets Putin in Vladivostok\n\n\nThe two leaders met on Wednesday.",
        "Kim meets Putin in Vladivostok",
        "The two leaders met on Wednesday.",
    ),
]
NO_TITLE_CASES = [
    ("sentence first line", "The leaders met on Monday.\n\nThey talked for hours about it."),
    ("hard wrapped text", "The leaders met on Monday in the capital\nand talked for hours."),
    (
        "title case single newline",
        "Kim meets Putin in Vladivostok\nThe two leaders met on Wednesday.",
    ),
    ("two-word section header", "What's happened\nNorth Korean Foreign Minister visited Russia."),
    ("dateline", "SEOUL (Reuters) -\n\nRussia's spy chief visited Pyongyang this week."),
    ("colon", "The ministry said three things:\n\nFirst, talks went well today."),
    ("no line break", "Just one line of text with no title at all"),
    ("body too short", "A rather long headline about many things\n\nShort."),
    ("lowercase continuation", "Officials in Moscow and Pyongyang\n\nsaid the talks went well."),
    ("too long", ("word " * 50).strip() + "\n\nBody " + "text " * 60),
    ("empty", ""),
]


@pytest.mark.parametrize(
    "text,title,body", [c[1:] for c in TITLE_CASES], ids=[c[0] for c in TITLE_CASES]
)
def test_detect_title(text, title, body):
    assert detect_title(text) == (title, body)


@pytest.mark.parametrize("text", [c[1] for c in NO_TITLE_CASES], ids=[c[0] for c in NO_TITLE_CASES])
def test_no_title_returns_input_unchanged(text):
    assert detect_title(text) == (None, text)


@needs_seeds
@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seeds_have_no_title(prefix):
    # 000-004 start inline with a sentence after the date header; 003 starts with the
    # two-word section header "What's happened", which is not a headline.
    text = clean_text(_seed(prefix))
    assert detect_title(text) == (None, text)


# --------------------------------------------------------------------------- strip_boilerplate

BODY = (
    "North Korea's foreign minister visited Moscow on Tuesday and met her Russian "
    "counterpart for talks on military cooperation and trade.\n\n"
    "The two sides agreed to expand ties, the ministry said in a statement on Wednesday, "
    "citing a new agreement on transport links and energy supplies."
)

BOILERPLATE_CASES = [
    ("reuters credit line", BODY + "\n\n(Reporting by Josh Smith; Editing by Ed Davies)"),
    ("inline reuters credit", BODY + " (Reporting by Josh Smith; Editing by Ed Davies)"),
    ("copyright", BODY + "\n\nCopyright 2024 Thomson Reuters. All rights reserved."),
    ("copyright sign", BODY + "\n© 2024 The Associated Press"),
    ("all rights reserved", BODY + "\nThe Korea Herald. All rights reserved."),
    ("newsletter and follow", BODY + "\n\nSign up for our daily newsletter\nFollow us on X"),
    ("related links", BODY + "\n\nRelated: Kim visits Russia\nRead more: Putin in Pyongyang"),
    (
        "read more section",
        BODY + "\n\nRead more\n\nPutin to visit Pyongyang\nKim inspects warships",
    ),
    (
        "more on these topics",
        BODY + "\nMore on these topics\n-\nVladimir Putin is a Russian politician.\n-\nKorea.",
    ),
    ("separators", BODY + "\n\n---\n(Editing by Ed Davies)\n***\n"),
]


@pytest.mark.parametrize(
    "text", [c[1] for c in BOILERPLATE_CASES], ids=[c[0] for c in BOILERPLATE_CASES]
)
def test_strip_boilerplate_removes_trailer(text):
    assert strip_boilerplate(text) == BODY


KEEP_CASES = [
    ("plain body", BODY),
    ("credit-like words in a paragraph", BODY + "\n\nCopyright lawyers said the deal was fair."),
    ("related inside a sentence", BODY + "\n\nRelated talks will follow next month."),
    ("heading too early", "Go deeper\n" + BODY),
    ("nothing left", "Read more\nPutin to visit Pyongyang\nKim inspects warships"),
    ("only a credit", "(Reporting by Josh Smith; Editing by Ed Davies)"),
    ("short text", "Kim met Putin.\n(Reporting by Josh Smith)"),
    ("empty", ""),
]


@pytest.mark.parametrize("text", [c[1] for c in KEEP_CASES], ids=[c[0] for c in KEEP_CASES])
def test_strip_boilerplate_keeps_text(text):
    assert strip_boilerplate(text) is text


@needs_seeds
def test_strip_boilerplate_seed_003_drops_aggregator_trailer():
    text = clean_text(_seed("003"))
    out = strip_boilerplate(text)
    for gone in ("Go deeper", "Common question", "More on these topics", "Kim Jong-un is a"):
        assert gone in text and gone not in out
    for kept in ("What's happened", "What the papers say", "How we got here"):
        assert kept in out
    assert out.endswith("with recent visits and agreements reinforcing their alliance.")
    assert text.startswith(out)


@needs_seeds
@pytest.mark.parametrize("prefix", ["000", "001", "002", "004"])
def test_strip_boilerplate_leaves_plain_seeds_alone(prefix):
    text = clean_text(_seed(prefix))
    assert strip_boilerplate(text) == text


# --------------------------------------------------------------------------- content_hash

BASE = 'Naryshkin said: "We will deepen ties," adding that talks on 27 March - went well.'
SAME_CONTENT = [
    BASE,
    'Naryshkin said:\n"We will deepen ties,"\nadding that talks on 27 March - went well.',
    "Naryshkin   said: “We will deepen ties,” adding that talks on 27\u00a0March – went well.",
    "NARYSHKIN SAID: 'We will deepen ties,' ADDING THAT TALKS ON 27 MARCH - WENT WELL.",
    'Naryshkin said : "We will deepen ties ," adding that talks on 27 March—went well .',
    "Naryshkin said: ''We will deepen ties,'' adding that talks on 27 March - went well.\r\n",
    "Naryshkin said: &quot;We will deepen ties,&quot; adding that talks on 27 March - went well.",
]
DIFFERENT_CONTENT = [
    BASE.replace("deepen", "weaken"),
    BASE.replace("27", "28"),
    BASE.replace("talks on", "talks in"),
    BASE.replace("ties,", "ties;"),
    BASE.replace("went well", "wentwell"),
    BASE + " More.",
    "",
]


@pytest.mark.parametrize("text", SAME_CONTENT)
def test_content_hash_ignores_layout_and_typography(text):
    assert content_hash(text) == content_hash(BASE)


@pytest.mark.parametrize("text", DIFFERENT_CONTENT)
def test_content_hash_sees_changed_words_and_numbers(text):
    assert content_hash(text) != content_hash(BASE)


def test_content_hash_is_stable_hex():
    digest = content_hash(BASE)
    assert re.fullmatch(r"[0-9a-f]{32}", digest)
    # Pinned: a change here changes every stored hash and breaks incremental dedup.
    assert content_hash("") == "99aa06d3014798d86001c324468d497f"
    assert digest == content_hash(BASE)


@needs_seeds
def test_content_hash_distinguishes_seeds_and_survives_rewrapping():
    texts = [_seed(p) for p in ("000", "001", "002", "003", "004")]
    assert len({content_hash(t) for t in texts}) == 5
    rewrapped = re.sub(r"\s+", lambda m: "\n" if len(m.group()) == 1 else "  ", texts[0])
    assert content_hash(rewrapped) == content_hash(texts[0])


def test_every_space_separator_becomes_a_plain_space():
    # clean_text builds its table by scanning up to U+3000; fail loudly if a new Unicode
    # version adds a space separator or whitespace character above it.

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Zs"]
    assert max(map(ord, spaces)) <= 0x3000
    assert max(c for c in range(sys.maxunicode + 1) if chr(c).isspace()) <= 0x3000
    assert clean_text("a" + "a".join(spaces) + "a") == " ".join("a" * (len(spaces) + 1))
