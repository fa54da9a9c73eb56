"""Text normalisation, title detection, boilerplate removal and content hashing.

Beam-free, pure functions. Regexes and translation tables are built once at import.

Guarantees:
  * :func:`clean_text` is idempotent: ``clean_text(clean_text(x)) == clean_text(x)``.
  * Words, numbers and punctuation are kept; only their typographic variants are unified.
  * :func:`content_hash` is deterministic across processes and machines (xxh3-128, never
    Python's salted ``hash()``).
  * :func:`detect_title` and :func:`strip_boilerplate` are conservative: when in doubt they
    leave the text alone, and they never return (near-)empty text for non-empty input.
"""

from __future__ import annotations

import html
import re
import unicodedata

import xxhash

from newsingest.transforms.core.repair import fold_compatibility, repair_mojibake

__all__ = [
    "clean_text",
    "content_hash",
    "detect_title",
    "strip_boilerplate",
]

# --------------------------------------------------------------------------- clean_text

_QUOTES = {
    "'": "\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a\u02bc\uff07",
    '"': "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u301d\u301e\u301f\uff02",
}
# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus,
# two/three-em dash, small em dash, small/fullwidth hyphen-minus, hyphen bullet.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d\u2043"
# Invisible characters that render as nothing inside a word: zero-width space, word
# joiner, BOM / zero-width no-break space, Mongolian vowel separator, soft hyphen,
# bidi marks, embeddings and isolates. ZWJ/ZWNJ are kept (they change spelling in
# Indic/Persian scripts and emoji).
_INVISIBLE = (
    "\u200b\u2060\ufeff\u180e\u00ad\u200e\u200f\u061c"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _build_table() -> dict[str, str]:
    table: dict[int, str | None] = {}
    for ascii_quote, variants in _QUOTES.items():
        table.update(dict.fromkeys(map(ord, variants), ascii_quote))
    table.update(dict.fromkeys(map(ord, _DASHES), "-"))
    table.update(dict.fromkeys(map(ord, _INVISIBLE)))
    # Line breaks: CR and CRLF are handled by the regex pass; these are unambiguous.
    table.update({0x0B: "\n", 0x0C: "\n", 0x85: "\n", 0x2028: "\n", 0x2029: "\n"})
    table[ord("\t")] = " "
    for code in (*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0x85), *range(0x86, 0xA0)):
        table[code] = None
    for code in range(0xD800, 0xE000):  # lone surrogates cannot be encoded
        table[code] = None
    for code in range(_LAST_SPACE_SEPARATOR + 1):  # every other space separator -> " "
        if code not in table and unicodedata.category(chr(code)) == "Zs":
            table[code] = " "
    return {chr(code): value or "" for code, value in table.items() if value != chr(code)}


def _char_class(chars) -> str:
    codes = sorted(map(ord, chars))
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )


# U+3000 IDEOGRAPHIC SPACE is the highest space separator (Zs) in every Unicode version
# so far; scanning only up to it keeps the import fast.
_LAST_SPACE_SEPARATOR = 0x3000
_REPLACEMENTS = _build_table()
# A regex touching only the characters to replace is ~2x faster than str.translate with a
# dict on typical (mostly ASCII) articles.
_SPECIAL_RE = re.compile(f"[{_char_class(_REPLACEMENTS)}]")


def _replace_special(match: re.Match[str]) -> str:
    return _REPLACEMENTS[match.group()]


# Only entities terminated by ";" are unescaped: "AT&T" and "R&D" stay as they are.
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_CR_RE = re.compile(r"\r\n?")
_SPACES_RE = re.compile(r" {2,}")
_LINE_EDGE_SPACES_RE = re.compile(r" *\n *")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def _unescape_entity(match: re.Match[str]) -> str:
    return html.unescape(match.group(0))


def _clean_once(text: str) -> str:
    if "&" in text:
        while True:  # double-escaped feeds ("&amp;lt;"); each pass shortens the text
            unescaped = _ENTITY_RE.sub(_unescape_entity, text)
            if unescaped == text:
                break
            text = unescaped
    if "\r" in text:
        text = _CR_RE.sub("\n", text)
    text = _SPECIAL_RE.sub(_replace_special, text)
    if not text.isascii():
        # Fold after the removals (so "e" ZWSP U+0301 still composes), then replace
        # again what the folds produced (U+FE58 small em dash -> U+2014, ...).
        text = _SPECIAL_RE.sub(_replace_special, fold_compatibility(text))
    # The substring guards skip a regex scan in the common case where it would not match.
    if "  " in text:
        text = _SPACES_RE.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGE_SPACES_RE.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip(" \n")


def clean_text(text: str) -> str:
    """Normalise article text for storage and comparison.

    Rules, applied in this order:
      * HTML entities ending in ``;`` are unescaped (repeatedly, for double-escaped feeds);
        bare ``&`` (``AT&T``) is kept. ``&#3;`` becomes U+0003, which is then removed.
      * CRLF and CR become LF; VT, FF, NEL, U+2028 and U+2029 become LF; TAB becomes a space.
      * Curly/low/angle quotes, primes and guillemets become ``'`` or ``"``.
      * Every dash variant (hyphen, non-breaking hyphen, figure/en/em dash, horizontal bar,
        minus sign, fullwidth/small forms) becomes ``-``.
      * C0/C1 control characters (other than LF) and lone surrogates are removed, as are
        invisible characters (zero-width space, word joiner, BOM, soft hyphen, bidi marks);
        ZWJ/ZWNJ are kept. Every other space separator (NBSP, thin, ideographic, ...)
        becomes a plain space.
      * Mojibake is repaired first (``MÃ¼nchen`` -> ``München``; see
        :func:`transforms.core.repair.repair_mojibake`: a cheap guard, then ftfy per line).
      * Unicode NFC plus the meaning-preserving compatibility folds of
        :func:`transforms.core.repair.fold_compatibility` (fullwidth -> ASCII, ligatures
        split, ``…`` -> ``...``, Arabic presentation forms); ``m²``, ``CO₂``, ``¼``, ``№``
        are kept (NFKC made ``m2``, ``CO2``, ``1⁄4``, ``No`` of them).
      * Runs of spaces collapse to one; spaces at the start and end of every line are
        trimmed; three or more line breaks become one blank line (paragraphs are kept);
        leading and trailing blank lines are removed.

    Args:
        text: Any text.

    Returns:
        The cleaned text; ``clean_text(result) == result``.
    """
    result = _clean_once(repair_mojibake(text))
    # Fullwidth folds can create a new entity from fullwidth forms ("＆amp；"); rare, so loop then.
    while "&" in result and _ENTITY_RE.search(result):
        again = _clean_once(result)
        if again == result:
            break
        result = again
    return result


# --------------------------------------------------------------------------- detect_title

_MAX_TITLE_CHARS = 200
_MIN_TITLE_WORDS = 3
_TITLE_BAD_ENDINGS = (".", ",", ";", ":", "-")
_LETTER_RE = re.compile(r"[^\W\d_]")
_FIRST_LINE_RE = re.compile(r"\A\s*([^\n]*?)[ \t]*(\r?\n)((?:[ \t]*\r?\n)*)(.*)\Z", re.S)


def detect_title(text: str) -> tuple[str | None, str]:
    """Split a headline off the start of an article, if there clearly is one.

    The first non-blank line is a title only if all of these hold:
      * it is at most 200 characters and has at least 3 words;
      * it contains a letter and does not end with ``.`` ``,`` ``;`` ``:`` or ``-`` (a
        sentence, a wrapped line or a dateline like ``SEOUL (Reuters) -``); ``?``, ``!``
        and closing quotes are allowed;
      * it is followed by a blank line, or it is an all-caps headline (Reuters style)
        followed by a single line break;
      * the rest starts with something other than a lowercase letter (which would mean a
        hard-wrapped sentence) and is at least as long as the title.

    Args:
        text: Article text, ideally after :func:`clean_text`.

    Returns:
        ``(title, body)``: the stripped title and the text after it (leading blank lines
        removed), or ``(None, text)`` with the input unchanged.
    """
    match = _FIRST_LINE_RE.match(text)
    if match is None:
        return None, text
    title, _, blank_lines, body = match.groups()
    title = title.strip()
    body = body.strip()
    if (
        not title
        or len(title) > _MAX_TITLE_CHARS
        or len(title.split()) < _MIN_TITLE_WORDS
        or title.endswith(_TITLE_BAD_ENDINGS)
        or not _LETTER_RE.search(title)
        or not (blank_lines or title.isupper())
        or len(body) < len(title)
        or body[0].islower()
    ):
        return None, text
    return title, body


# --------------------------------------------------------------------------- boilerplate

# A heading line that starts a trailing section of links/blurbs; the section is cut.
_SECTION_RE = re.compile(
    r"(?:more on these topics|go deeper|related|related (?:stories|articles|coverage|content"
    r"|topics|news|links|reading)|read more|read next|more from [\w .'&-]{1,40}"
    r"|you (?:may|might) also like|recommended(?: for you| stories| articles)?"
    r"|most read|further reading)\s*:?",
    re.I,
)
# Trailer lines removed only from the end of the text (blank/separator lines between
# them are removed too).
_TRAILER_LINE_RE = re.compile(
    r"\(?\s*(?:additional\s+)?(?:reporting|writing|editing|compiled|compiling|research|"
    r"graphics)\s+by\b.*"
    r"|(?:copyright\s*(?:©|\(c\))?\s*\d{4}|©|\(c\)\s*\d{4}).*"
    r"|.*\ball rights reserved\.?"
    r"|(?:sign up|subscribe)\b.*\bnewsletters?\b.*"
    r"|follow us\b.*"
    r"|follow [\w@.]+ on (?:twitter|x|facebook|instagram|linkedin|threads|bluesky|telegram"
    r"|youtube|tiktok|mastodon)\b.*"
    r"|(?:related|read more|read next|see also)\s*:.*",
    re.I,
)
_SEPARATOR_RE = re.compile(r"[\s\-_*=~#.•·]*")
# Reuters-style credit at the end of the last paragraph: "... said. (Reporting by X)".
_INLINE_CREDIT_RE = re.compile(
    r"\s*\((?:additional\s+)?(?:reporting|writing|editing)\s+by\b[^()]*\)\s*\Z", re.I
)
_MAX_TRAILER_LINE_CHARS = 300
_MAX_SECTION_HEADING_CHARS = 60
_MIN_KEPT_SHARE = 1 / 3
_MIN_KEPT_CHARS = 80


def _is_separator(line: str) -> bool:
    return _SEPARATOR_RE.fullmatch(line) is not None


def strip_boilerplate(text: str) -> str:
    """Remove trailing aggregator/publisher boilerplate (for dedup comparisons).

    Two conservative steps:
      1. Section cut: the first line that is exactly a trailer heading ("More on these
         topics", "Go deeper", "Related", "Related stories", "Read more", "Most read",
         "You may also like", ...; optional ``:``) starts a trailing section that is
         removed with everything after it, provided at least a third of the text's
         characters come before it.
      2. Trailer lines: from the end, lines (<= 300 characters) that are credits
         ("(Reporting by ...; Editing by ...)"), copyright / "All rights reserved",
         newsletter sign-ups, "Follow us on ...", or "Related: ..."/"Read more: ..." links
         are removed, together with blank and separator lines among them; then an
         inline "(Reporting by ...)" credit ending the last paragraph is removed.

    If the result would keep fewer than 80 non-space characters or less than a third of
    the input's, the input is returned unchanged.

    Args:
        text: Article text, ideally after :func:`clean_text`.

    Returns:
        The text without its trailer (trailing whitespace stripped), or ``text`` itself
        when nothing was removed.
    """
    lines = text.split("\n")
    total = len(text)
    end = len(lines)
    position = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if (
            len(stripped) <= _MAX_SECTION_HEADING_CHARS
            and _SECTION_RE.fullmatch(stripped)
            and position >= _MIN_KEPT_SHARE * total
        ):
            end = index
            break
        position += len(line) + 1
    while end > 0:
        stripped = lines[end - 1].strip()
        if _is_separator(stripped) or (
            len(stripped) <= _MAX_TRAILER_LINE_CHARS and _TRAILER_LINE_RE.fullmatch(stripped)
        ):
            end -= 1
        else:
            break
    if end == len(lines) and not _INLINE_CREDIT_RE.search(text):
        return text
    kept = "\n".join(lines[:end])
    kept = _INLINE_CREDIT_RE.sub("", kept).rstrip()
    kept_chars = len(kept) - kept.count(" ") - kept.count("\n")
    total_chars = len(text) - text.count(" ") - text.count("\n")
    if kept_chars < _MIN_KEPT_CHARS or kept_chars < _MIN_KEPT_SHARE * total_chars:
        return text
    return kept


# --------------------------------------------------------------------------- content_hash

# Words (maximal runs of letters/digits/_) and single punctuation marks; joining them
# with one space makes the form independent of line breaks and of spacing around
# punctuation, while "wo rd" and "word" stay different.
_HASH_TOKEN_RE = re.compile(r"\w+|[^\w\s]")


def content_hash(text: str, *, already_clean: bool = False) -> str:
    """Hash the content of an article, insensitive to layout and typography.

    The hashed form is :func:`clean_text`, then ``str.casefold``, then every quote
    character (``"`` `````` ``''``) -> ``'``, then the sequence of words (runs of letters,
    digits, ``_``) and single punctuation marks joined by one space. So re-wrapped lines,
    extra spaces, curly vs straight vs doubled quotes, letter case and "a - b" vs "a-b"
    hash equal, while any changed word, number or punctuation mark changes the hash.

    Args:
        text: Any text (cleaned or not).
        already_clean: ``text`` is ``clean_text`` output: skip cleaning it again
            (same result, less work).

    Returns:
        32 lowercase hex digits: xxh3-128 of the UTF-8 normalised form, identical on
        every machine and Python process.
    """
    norm = (text if already_clean else clean_text(text)).casefold()
    norm = norm.replace('"', "'").replace("`", "'")
    while "''" in norm:
        norm = norm.replace("''", "'")
    norm = " ".join(_HASH_TOKEN_RE.findall(norm))
    return xxhash.xxh3_128_hexdigest(norm.encode("utf-8", "surrogatepass"))
