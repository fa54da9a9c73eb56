import bz2
import gzip
import lzma
import pickle
import random
from pathlib import Path

import pytest

from newsingest.transforms.core.decoding import (
    MIXED_ENCODING,
    REASONS,
    Rejected,
    decode_text,
    decompress,
)

SEEDS = sorted(Path("/work/shared/seeds").glob("*.txt"))
needs_seeds = pytest.mark.skipif(not SEEDS, reason="/work/shared/seeds not available")

TEXT = "North Korea’s leader met Putin – “a new era”, KCNA said on 2024-03-28.\n"
MB = 1 << 20


def _reason(call, *args) -> str:
    with pytest.raises(Rejected) as info:
        call(*args)
    assert info.value.reason in REASONS
    assert info.value.detail
    return info.value.reason


def test_reasons_are_documented():
    assert set(REASONS) == {
        "empty",
        "too_large",
        "binary",
        "undecodable",
        "corrupt_compression",
        "no_text",
    }
    assert all(REASONS.values())


def test_rejected_rejects_unknown_reason_and_pickles():
    with pytest.raises(ValueError):
        Rejected("nope", "x")
    copy = pickle.loads(pickle.dumps(Rejected("binary", "PNG")))
    assert (copy.reason, copy.detail) == ("binary", "PNG")


# --------------------------------------------------------------------------- decompress


@pytest.mark.parametrize(
    "name,compress",
    [
        ("a.txt.gz", gzip.compress),
        ("A.TXT.GZ", gzip.compress),
        ("a.gzip", gzip.compress),
        ("a.bz2", bz2.compress),
        ("a.xz", lzma.compress),
    ],
)
def test_decompress_round_trip(name, compress):
    data = TEXT.encode() * 50
    assert decompress(name, compress(data), MB) == data


@pytest.mark.parametrize(
    "name,compress",
    [("a.gz", gzip.compress), ("a.bz2", bz2.compress), ("a.xz", lzma.compress)],
)
def test_decompress_concatenated_members(name, compress):
    assert decompress(name, compress(b"first ") + compress(b"second"), MB) == b"first second"


def test_decompress_ignores_trailing_zero_padding():
    assert decompress("a.gz", gzip.compress(b"abc") + bytes(512), MB) == b"abc"


def test_uncompressed_passes_through_unchanged():
    data = TEXT.encode()
    assert decompress("a.txt", data, MB) is data
    assert decompress("a.gz", b"", MB) == b""


@pytest.mark.parametrize(
    "name,compress",
    [("bomb.gz", gzip.compress), ("bomb.bz2", bz2.compress), ("bomb.xz", lzma.compress)],
)
def test_decompression_bomb_is_too_large(name, compress):
    bomb = compress(bytes(50 * MB))
    assert len(bomb) < MB
    assert _reason(decompress, name, bomb, MB) == "too_large"


def test_output_exactly_at_limit_is_accepted():
    data = b"x" * 1000
    assert decompress("a.gz", gzip.compress(data), 1000) == data
    assert _reason(decompress, "a.gz", gzip.compress(data), 999) == "too_large"
    assert _reason(decompress, "a.txt", data, 999) == "too_large"


@pytest.mark.parametrize(
    "name,blob",
    [
        ("truncated.gz", gzip.compress(TEXT.encode() * 20)[:-12]),
        ("truncated.bz2", bz2.compress(TEXT.encode() * 20)[:-12]),
        ("truncated.xz", lzma.compress(TEXT.encode() * 20)[:-12]),
        ("notgzip.gz", b"plain text, not gzip"),
        ("notbz2.bz2", b"plain text, not bzip2"),
        ("notxz.xz", b"plain text, not xz"),
        ("garbage_after.gz", gzip.compress(b"ok") + b"trailing garbage"),
    ],
)
def test_corrupt_compression(name, blob):
    assert _reason(decompress, name, blob, MB) == "corrupt_compression"


def test_max_bytes_must_be_positive():
    with pytest.raises(ValueError):
        decompress("a.gz", b"x", 0)


# --------------------------------------------------------------------------- decode_text


@pytest.mark.parametrize(
    "data,encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8"),
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
        (b"\xff\xfe\x00\x00" + TEXT.encode("utf-32-le"), "utf-32-le"),
        (b"\x00\x00\xfe\xff" + TEXT.encode("utf-32-be"), "utf-32-be"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_decodes_unicode_and_western_text(data, encoding):
    assert decode_text(data) == (TEXT, encoding)


def test_bom_less_utf16_is_recognised():
    assert decode_text("Plain ASCII in UTF-16.".encode("utf-16-le")) == (
        "Plain ASCII in UTF-16.",
        "utf-16-le",
    )


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Ça coûte 12 €, déclare le ministre à Genève.", "cp1252"),
        ("Müller sagte, die Gespräche seien „sehr gut“ verlaufen.", "cp1252"),
        ("El señor Núñez llegó ayer ¿por qué?", "cp1252"),
    ],
)
def test_latin1_cp1252_text(text, expected):
    assert decode_text(text.encode("cp1252")) == (text, expected)


@pytest.mark.parametrize(
    "text,codec,expected",
    [
        (
            "Президент России Владимир Путин заявил во вторник, что переговоры с "
            "Северной Кореей прошли успешно.",
            "cp1251",
            "cp1251",
        ),
        (
            "北朝鮮の最高指導者である金正恩氏は火曜日、ロシアのプーチン大統領と会談した。",
            "shift_jis",
            "cp932",
        ),
        (
            "朝鲜最高领导人金正恩周二与俄罗斯总统普京举行会谈，双方同意加强合作。",
            "gb18030",
            "gb18030",
        ),
    ],
)
def test_detects_non_latin_legacy_encodings(text, codec, expected):
    assert decode_text(text.encode(codec)) == (text, expected)


def test_ambiguous_latin_code_page_is_rejected_not_mojibake():
    # cp1250 Polish: cp1252 would read "Władimir" as "W³adimir".
    data = "Władimir Putin powiedział we wtorek, że rozmowy się udały.".encode("cp1250")
    assert _reason(decode_text, data) == "undecodable"


def test_damaged_utf8_is_undecodable():
    data = TEXT.encode("utf-8") + b"\x92 broken"
    assert _reason(decode_text, data) == "undecodable"


def test_invalid_data_after_bom_is_undecodable():
    assert _reason(decode_text, b"\xef\xbb\xbfok \xff\xfe\xfd") == "undecodable"


_rng = random.Random(1234)
RANDOM_WITH_NULS = bytes(_rng.randrange(256) for _ in range(4096)) + b"\x00"
RANDOM_NO_NULS = bytes(_rng.randrange(1, 256) for _ in range(4096))


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty"),
        (b"   \r\n\t  \n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"\xef\xbb\xbf  \n", "empty"),
        (b"\xff\xfe" + " \n".encode("utf-16-le"), "empty"),
        ("\u00a0\u200b\n".encode(), "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "binary"),
        (b"PK\x03\x04\x14\x00\x00\x00", "binary"),
        (b"\x7fELF\x02\x01\x01\x00", "binary"),
        (gzip.compress(b"hello"), "binary"),
        (RANDOM_WITH_NULS, "binary"),
        (RANDOM_NO_NULS, "binary"),
        (b"text with a NUL\x00 in it", "binary"),
        (b"\x01\x02\x03\x04 mostly control bytes \x05\x06\x07\x08", "binary"),
        (b"---- *** ----\n!!!\n", "no_text"),
        ("… — … “ ”".encode(), "no_text"),
    ],
)
def test_bad_inputs_are_rejected_with_reason(data, reason):
    assert _reason(decode_text, data) == reason


def test_a_few_control_characters_are_tolerated():
    data = b"Reuters body with an end-of-text mark\x03 and a form feed\x0c.\n" * 3
    text, encoding = decode_text(data)
    assert encoding == "utf-8" and "\x03" in text


@needs_seeds
@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_seeds_decode_as_utf8(path):
    data = path.read_bytes()
    text, encoding = decode_text(data)
    assert encoding == "utf-8"
    assert text == data.decode("utf-8")
    assert decode_text(decompress("x.txt.gz", gzip.compress(data), MB)) == (text, "utf-8")


# --------------------------------------------------------------------------- mixed lines

UTF8_LINES = "Die Straße in München ist gesperrt.\nOberbürgermeister Reiter sagte „nein“.\n"
LATIN1_LINES = "Le ministre a déclaré à Genève que ça coûte cher.\n"


@pytest.mark.parametrize("legacy", ["cp1252", "latin-1"])
def test_mixed_utf8_and_latin1_lines_are_decoded_per_line(legacy):
    data = UTF8_LINES.encode("utf-8") + LATIN1_LINES.encode(legacy) + b"Fin.\n"
    text, encoding = decode_text(data)
    assert text == UTF8_LINES + LATIN1_LINES + "Fin.\n"
    assert encoding == MIXED_ENCODING


def test_mixed_lines_with_crlf_keep_their_line_ends():
    data = "Grüße aus Köln\r\n".encode() + "Señor Núñez\r\n".encode("cp1252")
    assert decode_text(data) == ("Grüße aus Köln\r\nSeñor Núñez\r\n", MIXED_ENCODING)


def test_a_line_with_both_utf8_and_stray_bytes_is_still_damaged_utf8():
    data = UTF8_LINES.encode("utf-8") + "Grüße".encode() + b" \xe9t\xe9\n"
    assert _reason(decode_text, data) == "undecodable"


def test_whole_file_cp1252_is_not_mixed():
    assert decode_text((LATIN1_LINES * 2).encode("cp1252")) == (LATIN1_LINES * 2, "cp1252")


def test_mixed_file_with_a_non_western_legacy_line_is_not_decoded_per_line():
    # cp1250 "ł" reads as cp1252 "³" inside a word: not clearly Western, so not mixed.
    data = UTF8_LINES.encode() + "Władimir Putin powiedział we wtorek.\n".encode("cp1250")
    assert _reason(decode_text, data) == "undecodable"
