"""Mojibake repair and meaning-preserving compatibility folds (transforms/core/repair.py)."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from newsingest.transforms.core import repair
from newsingest.transforms.core.repair import (
    fold_compatibility,
    needs_repair,
    repair_mojibake,
)
from newsingest.transforms.core.text import clean_text
from tests.conftest import SAMPLE_DIR, SEEDS_DIR

CLEAN = [
    "München ist schön, sagte Oberbürgermeister Dieter Reiter.",
    "Ça coûte 12 €, déclare le ministre à Genève.",
    "São Paulo e Brasília: “é” — ‘sim’…",
    "Президент России Владимир Путин заявил во вторник.",
    "Україна: Різдво, Сіверськодонецьк, Ґрунт.",
    "İstanbul'da Cumhurbaşkanı Erdoğan konuştu.",
    "普京访问朝鲜，与金正恩会谈。",
    "الرئيس المصري عبد الفتاح السيسي",
    "भारत के प्रधानमंत्री ने घोषणा की",
    "Straße… café» Ölçer ÀÉÎ",
]


def _mojibake(text: str, codec: str) -> str:
    """UTF-8 bytes read as ``codec``; bytes it leaves undefined read as Latin-1 (sloppy)."""
    return "".join(_sloppy_byte(byte, codec) for byte in text.encode("utf-8"))


def _sloppy_byte(byte: int, codec: str) -> str:
    try:
        return bytes([byte]).decode(codec)
    except UnicodeDecodeError:
        return chr(byte)


@pytest.mark.parametrize(
    "clean",
    [
        "München ist schön",
        "The Mayor’s office said “no” — again",
        "Ça coûte 12 €, déclare le ministre à Genève.",
        "São Paulo e Brasília",
        "El señor Núñez llegó ayer ¿por qué?",
        "Wrocław, Łódź, Kraków",
    ],
)
def test_cp1252_mojibake_is_repaired(clean):
    broken = _mojibake(clean, "cp1252")
    assert broken != clean and needs_repair(broken)
    assert repair_mojibake(broken) == clean


def test_cp1251_mojibake_is_repaired():
    clean = "Президент России Владимир Путин"
    assert repair_mojibake(_mojibake(clean, "cp1251")) == clean


def test_issue_example_no_nfkc_damage():
    assert clean_text("MÃ¼nchen") == "München"
    assert clean_text("1¼ miles, 20 m², CO₂, № 5, 5 µm") == "1¼ miles, 20 m², CO₂, № 5, 5 µm"


def test_mixed_lines_are_repaired_line_by_line():
    lines = ["Die Straße in München.", _mojibake("Der Bürgermeister sagte „nein“.", "cp1252")]
    assert repair_mojibake("\n".join(lines)) == (
        "Die Straße in München.\nDer Bürgermeister sagte „nein“."
    )


@pytest.mark.parametrize("text", CLEAN)
def test_clean_text_is_returned_unchanged(text):
    assert repair_mojibake(text) is text


def _utf8_samples() -> list[Path]:
    """Sample data (its deliberately bad, non-UTF-8 files left out) and the seeds."""
    paths = sorted(p for p in SAMPLE_DIR.rglob("*") if p.is_file())
    paths += sorted(SEEDS_DIR.glob("*.txt"))
    return [p for p in paths if _is_utf8(p.read_bytes())]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("path", _utf8_samples(), ids=lambda p: p.name)
def test_sample_data_and_seeds_are_untouched(path):
    text = path.read_text(encoding="utf-8")
    assert repair_mojibake(text) is text
    assert fold_compatibility(text) == unicodedata.normalize("NFKC", text) or text.isascii()


@pytest.mark.parametrize(
    "text,folded",
    [
        ("Ｔｏｋｙｏ ２０２４", "Tokyo 2024"),
        ("ｶﾀｶﾅ", "カタカナ"),
        ("𝐁𝐨𝐥𝐝 ℝ", "Bold R"),
        ("ﬁnal ﬂow", "final flow"),
        ("wait…", "wait..."),
        ("\ufefb", "\u0644\u0627"),  # Arabic ligature lam-alef isolated form
        ("e\u0301", "é"),
        ("x² H₂O ½ ① ㎞ ™ № µ", "x² H₂O ½ ① ㎞ ™ № µ"),
    ],
)
def test_compatibility_folds(text, folded):
    assert fold_compatibility(text) == folded


def test_fold_blocks_hold_every_folded_character():
    blocks = repair._FOLD_BLOCKS
    for code in range(0x110000):
        kind = unicodedata.decomposition(chr(code)).split(" ", 1)[0]
        if kind in repair._FOLDED_TYPES:
            assert any(low <= code < high for low, high in blocks), hex(code)


def test_repair_and_clean_text_are_idempotent_on_random_mojibake():
    rng = random.Random(7)
    alphabet = "aeiouäöüßéèçñãõąłśżЖжЯя€’“”…– \n"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        codec = rng.choice(["cp1252", "cp1251", "latin-1"])
        broken = _mojibake(text, codec) if rng.random() < 0.5 else text
        once = clean_text(broken)
        assert clean_text(once) == once
        assert repair_mojibake(repair_mojibake(broken)) == repair_mojibake(broken)
