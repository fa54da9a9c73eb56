"""Raw article bytes to text, or a quarantine reason (Beam-free).

Nothing here raises on bad *data*: every problem with an input becomes a
:class:`Rejected` carrying a short ``reason`` code from :data:`REASONS` and a
human-readable ``detail``, so the caller can route the record to quarantine and
count it. Bad *arguments* (a non-positive ``max_bytes``) raise ``ValueError``.

Guarantees:
  * Deterministic: the same bytes give the same text and encoding name on every
    worker (no sampling, no randomness; ``charset_normalizer`` is only consulted
    for non-UTF-8 input that is not clearly Western, and it is deterministic for
    a given installed version).
  * Fast common path: valid UTF-8 is decoded with ``bytes.decode`` and a few
    C-level byte scans; no detector is called.
  * Bounded memory: :func:`decompress` never produces more than ``max_bytes``.
"""

from __future__ import annotations

import bz2
import lzma
import re
import unicodedata
import zlib
from collections.abc import Mapping
from types import MappingProxyType

import charset_normalizer

__all__ = [
    "MIXED_ENCODING",
    "REASONS",
    "Rejected",
    "decode_text",
    "decompress",
]

REASONS: Mapping[str, str] = MappingProxyType(
    {
        "empty": "The input has no content: 0 bytes, or only whitespace / byte-order marks.",
        "too_large": "Decompressed output (or uncompressed input) exceeds max_bytes.",
        "binary": (
            "The input is not text: a known binary signature (PNG, PDF, ZIP, ELF, gzip, ...), "
            "NUL bytes, or too many control characters."
        ),
        "undecodable": (
            "Not valid UTF-8/UTF-16/UTF-32, not clearly Western cp1252 text, and no reliable "
            "non-Latin encoding could be detected (includes damaged UTF-8)."
        ),
        "corrupt_compression": "The .gz/.bz2/.xz stream is truncated or corrupt.",
        "no_text": "The input decodes, but contains no letter or digit at all.",
    }
)


# The ``encoding`` of a file whose lines are partly UTF-8 and partly cp1252.
MIXED_ENCODING = "utf-8+cp1252"


class Rejected(Exception):
    """An input that cannot become article text.

    Attributes:
        reason: A key of :data:`REASONS` (short snake_case code, stable for counters).
        detail: A human sentence about this particular input.
    """

    def __init__(self, reason: str, detail: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

    def __reduce__(self):
        return (type(self), (self.reason, self.detail))


# --------------------------------------------------------------------------- decompress


def _gzip_factory():
    return zlib.decompressobj(16 + zlib.MAX_WBITS)


def _drain_zlib(dec, data: bytes, out: bytearray, max_bytes: int) -> None:
    # Input the cap did not let zlib consume stays in ``unconsumed_tail``.
    out += dec.decompress(data, max_bytes + 1 - len(out))
    while dec.unconsumed_tail and len(out) <= max_bytes:
        out += dec.decompress(dec.unconsumed_tail, max_bytes + 1 - len(out))


def _drain_buffered(dec, data: bytes, out: bytearray, max_bytes: int) -> None:
    # bz2/lzma buffer input internally; ``needs_input`` is False while output is pending.
    out += dec.decompress(data, max_length=max_bytes + 1 - len(out))
    while not dec.eof and not dec.needs_input and len(out) <= max_bytes:
        out += dec.decompress(b"", max_length=max_bytes + 1 - len(out))


_CODECS = (
    ((".gz", ".gzip"), _gzip_factory, _drain_zlib, (zlib.error,)),
    ((".bz2",), bz2.BZ2Decompressor, _drain_buffered, (OSError, ValueError, EOFError)),
    ((".xz",), lzma.LZMADecompressor, _drain_buffered, (lzma.LZMAError, EOFError)),
)


def _stream(name: str, data: bytes, max_bytes: int, factory, drain, errors) -> bytes:
    """Decompress every concatenated member of ``data``, holding at most max_bytes + 1."""
    out = bytearray()
    pending = data
    while True:
        dec = factory()
        try:
            drain(dec, pending, out, max_bytes)
        except errors as exc:
            raise Rejected("corrupt_compression", f"{name}: {exc}") from None
        if len(out) > max_bytes:
            raise Rejected("too_large", f"{name}: decompresses to more than {max_bytes} B")
        if not dec.eof:
            raise Rejected("corrupt_compression", f"{name}: truncated compressed stream")
        pending = dec.unused_data
        # Zero padding after the last member is ignored, as gzip(1) does.
        if not pending.strip(b"\x00"):
            return bytes(out)


def decompress(name: str, data: bytes, max_bytes: int) -> bytes:
    """Decompress ``data`` according to the extension of ``name``.

    ``.gz``/``.gzip``, ``.bz2`` and ``.xz`` (case-insensitive) are stream-decompressed,
    including concatenated multi-member files; any other name returns ``data`` unchanged.
    Empty input is returned as ``b""`` (``decode_text`` then rejects it as ``empty``).

    Args:
        name: File name or path; only its extension is used.
        data: The raw file content.
        max_bytes: Hard cap on the size of the result, > 0.

    Returns:
        The decompressed bytes, never longer than ``max_bytes``.

    Raises:
        Rejected: ``too_large`` when the output would exceed ``max_bytes`` (decompression
            stops at the cap, so a zip bomb cannot exhaust memory; uncompressed input over
            the cap is rejected too); ``corrupt_compression`` for a truncated/corrupt stream.
        ValueError: ``max_bytes`` is not positive.
    """
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be > 0, got {max_bytes}")
    if not data:
        return b""
    lower = name.lower()
    for extensions, factory, drain, errors in _CODECS:
        if lower.endswith(extensions):
            return _stream(name, data, max_bytes, factory, drain, errors)
    if len(data) > max_bytes:
        raise Rejected("too_large", f"{name}: {len(data)} B is more than {max_bytes} B")
    return data


# --------------------------------------------------------------------------- decode_text

_BOMS = (  # UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one.
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF87a": "GIF image",
    b"GIF89a": "GIF image",
    b"%PDF-": "PDF document",
    b"PK\x03\x04": "ZIP archive",
    b"PK\x05\x06": "ZIP archive",
    b"\x7fELF": "ELF executable",
    b"MZ\x90\x00": "Windows executable",
    b"\x1f\x8b": "gzip data",
    b"\xfd7zXZ\x00": "xz data",
    b"7z\xbc\xaf\x27\x1c": "7-zip archive",
    b"Rar!\x1a\x07": "RAR archive",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "OLE2 (MS Office) document",
    b"SQLite format 3\x00": "SQLite database",
    b"\x00asm": "WebAssembly module",
    b"OggS": "Ogg media",
    b"wOFF": "WOFF font",
}
_MAGIC_PREFIXES = tuple(_MAGIC)
_BZ2_MAGIC = re.compile(rb"BZh[1-9]1AY&SY")

# C0 controls except TAB LF VT FF CR and ESC (ISO-2022 text uses ESC), plus DEL.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
_CONTROL_CHARS_RE = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_MAX_CONTROL_RATIO = 0.05
_ASCII_WS = b" \t\r\n\x0b\x0c"
# U+3000 is the highest character with str.isspace(); scanning up to it keeps imports fast.
_BLANK_CHARS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + (
    "\ufeff\u200b\u2060\u180e"
)
_ALNUM_RE = re.compile(r"[^\W_]")

# "Clearly Western" cp1252: few non-ASCII letters relative to ASCII ones, and no
# cp1252 symbol glued inside a word (``Wroc³aw`` is cp1250 Polish read as cp1252).
_ASCII_LETTERS = bytes(range(0x41, 0x5B)) + bytes(range(0x61, 0x7B))
_HIGH_BYTES = bytes(range(0x80, 0x100))
_MAX_WESTERN_HIGH_RATIO = 0.3
_WORD_GLUE_OK = "\u2019\u2018\u00b4\u00b7\u00ad\u2013\u2014"
_CP1252_SYMBOLS = "".join(
    c
    for c in bytes(range(0x80, 0x100)).decode("cp1252", errors="ignore")
    if not c.isalpha() and not c.isspace() and c not in _WORD_GLUE_OK
)
_GLUED_SYMBOL_RE = re.compile(
    rf"(?<=[A-Za-z\u00c0-\u00ff])[{re.escape(_CP1252_SYMBOLS)}](?=[A-Za-z\u00c0-\u00ff])"
)
# Valid UTF-8 multi-byte sequences. When they hold most of the non-ASCII bytes of
# input that failed strict UTF-8, it is damaged UTF-8 rather than a legacy code page
# (legacy double-byte text forms such sequences only by accident).
_UTF8_MULTIBYTE_RE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_MIN_DAMAGED_UTF8_SHARE = 0.5
_MAX_DETECTED_CHAOS = 0.2


def _check_text(text: str, encoding: str) -> tuple[str, str]:
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip(_BLANK_CHARS):
        raise Rejected("empty", f"only whitespace after decoding as {encoding}")
    if "\x00" in text:
        raise Rejected("binary", f"NUL characters after decoding as {encoding}")
    controls = sum(1 for _ in _CONTROL_CHARS_RE.finditer(text))
    if controls > _MAX_CONTROL_RATIO * len(text):
        raise Rejected("binary", f"{controls} control characters in {len(text)}")
    if _ALNUM_RE.search(text) is None:
        raise Rejected("no_text", f"no letter or digit in {len(text)} characters")
    return text, encoding


def _decode_strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise Rejected(
            "undecodable", f"invalid {encoding} at byte {exc.start}: {exc.reason}"
        ) from None


def _looks_utf16_without_bom(data: bytes) -> str | None:
    """Return the UTF-16 byte order of BOM-less, mostly-ASCII UTF-16, else None."""
    if len(data) < 4 or len(data) % 2:
        return None
    half = len(data) // 2
    even_nuls, odd_nuls = data[0::2].count(0), data[1::2].count(0)
    if odd_nuls >= 0.7 * half and even_nuls == 0:
        return "utf-16-le"
    if even_nuls >= 0.7 * half and odd_nuls == 0:
        return "utf-16-be"
    return None


def _is_latin_script(text: str) -> bool:
    letters = [c for c in text if ord(c) > 0x7F and c.isalpha()]
    if not letters:
        return True
    latin = sum(1 for c in letters if unicodedata.name(c, "").startswith("LATIN"))
    return latin * 2 >= len(letters)


def _clearly_western(data: bytes, text: str) -> bool:
    """Few non-ASCII bytes relative to ASCII letters, and no cp1252 symbol inside a word."""
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    ascii_letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
    return (
        high <= _MAX_WESTERN_HIGH_RATIO * (high + ascii_letters)
        and _GLUED_SYMBOL_RE.search(text) is None
    )


def _decode_mixed_lines(data: bytes) -> str | None:
    """Text whose lines are UTF-8 or cp1252 (files concatenated, edited with two tools).

    Every line is decoded on its own. Returns None unless some line is non-ASCII UTF-8,
    some other line is not UTF-8, and each such line has no valid UTF-8 multi-byte
    sequence (else it is damaged UTF-8), decodes as cp1252 with a non-ASCII letter,
    and all of them together are clearly Western.
    """
    decoded = []
    legacy: list[tuple[bytes, str]] = []
    has_utf8 = False
    for line in data.split(b"\n"):
        try:
            decoded.append(line.decode("utf-8"))
            has_utf8 = has_utf8 or not line.isascii()
            continue
        except UnicodeDecodeError:
            pass
        if _UTF8_MULTIBYTE_RE.search(line):
            return None
        try:
            text = line.decode("cp1252")
        except UnicodeDecodeError:
            return None
        if not any(char.isalpha() and not char.isascii() for char in text):
            return None
        legacy.append((line, text))
        decoded.append(text)
    if not has_utf8 or not legacy:
        return None
    if not _clearly_western(
        b"\n".join(line for line, _ in legacy), "\n".join(text for _, text in legacy)
    ):
        return None
    return "\n".join(decoded)


def _decode_legacy(data: bytes, utf8_error: str) -> tuple[str, str]:
    """Decode non-UTF-8 bytes: UTF-8 and cp1252 lines mixed, clearly Western cp1252,
    else a detected non-Latin code page."""
    mixed = _decode_mixed_lines(data) if b"\n" in data else None
    if mixed is not None:
        return mixed, MIXED_ENCODING
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    in_utf8 = sum(m.end() - m.start() for m in _UTF8_MULTIBYTE_RE.finditer(data))
    if in_utf8 >= _MIN_DAMAGED_UTF8_SHARE * high:
        raise Rejected("undecodable", f"damaged UTF-8 ({utf8_error})")
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and _clearly_western(data, text):
        return text, "cp1252"
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.chaos > _MAX_DETECTED_CHAOS:
        raise Rejected("undecodable", f"{utf8_error}; no reliable encoding detected")
    encoding = best.encoding
    text = _decode_strict(data, encoding)
    if _is_latin_script(text):
        # charset_normalizer cannot reliably tell Latin code pages apart (cp1250 vs
        # cp1252 vs iso8859-x): refuse rather than store mojibake.
        raise Rejected(
            "undecodable", f"{utf8_error}; ambiguous Latin code page (best guess {encoding})"
        )
    return text, encoding


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode raw article bytes to text.

    Rules, in order:
      1. 0 bytes -> ``empty``.
      2. A byte-order mark selects UTF-32-LE/BE, UTF-8 or UTF-16-LE/BE (the BOM is
         stripped); invalid data after a BOM -> ``undecodable``.
      3. A known binary signature (PNG, JPEG, GIF, PDF, ZIP, ELF, PE, gzip, bzip2, xz,
         7z, RAR, OLE2, SQLite, wasm, Ogg, WOFF) -> ``binary``.
      4. NUL bytes -> ``binary``, unless the bytes look like BOM-less UTF-16 text
         (NULs in every other byte only).
      5. More than 5% C0 control bytes (TAB/LF/VT/FF/CR/ESC excepted) -> ``binary``.
      6. Only ASCII whitespace -> ``empty``.
      7. Strict UTF-8 (the common path, no detection) -> ``"utf-8"``.
      8. Otherwise: if the lines are each UTF-8 or cp1252 (some non-ASCII UTF-8 line,
         every other line free of UTF-8 sequences, with a non-ASCII letter in cp1252, and
         those lines clearly Western as below) each line is decoded on its own ->
         ``"utf-8+cp1252"`` (:data:`MIXED_ENCODING`). Else, if at least half the
         non-ASCII bytes form valid UTF-8 sequences the file is damaged UTF-8 ->
         ``undecodable``. If the text is clearly Western (non-ASCII
         bytes are at most 30% of letters, strict cp1252 decodes, and no cp1252 symbol
         sits inside a word) -> ``"cp1252"``. Otherwise ``charset_normalizer`` is asked;
         its best match is accepted only when its chaos is <= 0.2 and the decoded
         letters are mostly non-Latin (Cyrillic, Greek, CJK, ...), because it confuses
         Latin code pages; anything else -> ``undecodable``.
      9. After decoding: only whitespace/BOM/zero-width -> ``empty``; NUL or >5% control
         characters -> ``binary``; no letter or digit -> ``no_text``.

    Args:
        data: Raw (already decompressed) bytes.

    Returns:
        ``(text, encoding)``: the decoded text without BOM, and a Python codec name
        (``"utf-8"``, ``"utf-16-le"``, ``"cp1252"``, ``"cp1251"``, ...) or
        :data:`MIXED_ENCODING`. The text is not otherwise normalised (mojibake that was
        already in the bytes is repaired by ``transforms.core.text.clean_text``).

    Raises:
        Rejected: with a reason from :data:`REASONS`; never any other exception.
    """
    if not data:
        raise Rejected("empty", "0 bytes")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _check_text(_decode_strict(data[len(bom) :], encoding), encoding)
    if data.startswith(_MAGIC_PREFIXES):
        kind = next(v for k, v in _MAGIC.items() if data.startswith(k))
        raise Rejected("binary", f"starts with the {kind} signature")
    if _BZ2_MAGIC.match(data):
        raise Rejected("binary", "starts with the bzip2 signature")
    if b"\x00" in data:
        encoding = _looks_utf16_without_bom(data)
        if encoding is None:
            raise Rejected("binary", f"{data.count(0)} NUL bytes")
        return _check_text(_decode_strict(data, encoding), encoding)
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_RATIO * len(data):
        raise Rejected("binary", f"{controls} control bytes in {len(data)}")
    if not data.strip(_ASCII_WS):
        raise Rejected("empty", f"{len(data)} bytes of whitespace only")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _check_text(*_decode_legacy(data, f"invalid UTF-8 at byte {exc.start}"))
    return _check_text(text, "utf-8")
