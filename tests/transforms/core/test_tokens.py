"""Unicode-aware tokenisation (transforms/core/tokens.py) and its use by the dedup stream."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from newsingest.transforms.core import entities
from newsingest.transforms.core import tokens as token_module
from newsingest.transforms.core.tokens import _NO_SPACE_SCRIPTS, tokenize

# The tokeniser before the ``regex`` module: stdlib ``\w`` has no combining marks.
_STDLIB_TOKEN_RE = re.compile(
    rf"[{_NO_SPACE_SCRIPTS}]|\d+(?:[.,]\d+)*|[^\W\d_{_NO_SPACE_SCRIPTS}]+",
)


@pytest.mark.parametrize(
    "text,tokens",
    [
        ("हिन्दी भाषा में समाचार।", ["हिन्दी", "भाषा", "में", "समाचार"]),
        ("বাংলা সংবাদ", ["বাংলা", "সংবাদ"]),
        ("தமிழ் செய்தி", ["தமிழ்", "செய்தி"]),
        ("اَلْعَرَبِيَّةُ لغة", ["اَلْعَرَبِيَّةُ", "لغة"]),
        ("cafe\u0301 ouvert", ["cafe\u0301", "ouvert"]),
        ("I \u2764\ufe0f NY", ["i", "ny"]),
        ("m² and ½ cup", ["m²", "and", "½", "cup"]),
        ("Shr 1,234.5 vs 46", ["shr", "1,234.5", "vs", "46"]),
        ("普京访问朝鲜", ["普", "京", "访", "问", "朝", "鲜"]),
        ("สวัสดี", list("สวัสดี")),
    ],
)
def test_tokens(text, tokens):
    assert tokenize(text) == tokens


def test_devanagari_words_are_no_longer_split_into_letters():
    text = "भारत के प्रधानमंत्री ने घोषणा की"
    assert tokenize(text) == text.split()
    assert len(_STDLIB_TOKEN_RE.findall(text.casefold())) > 6


@pytest.mark.parametrize(
    "text",
    [
        "The minister said talks in Pyongyang ended on 2024-03-28.",
        "Die Straße in München ist gesperrt, sagte Oberbürgermeister Dieter Reiter.",
        "Президент России Владимир Путин заявил во вторник.",
        "普京访问朝鲜，与金正恩会谈。",
        "الرئيس المصري عبد الفتاح السيسي يستقبل وزير الخارجية",
    ],
)
def test_text_without_combining_marks_tokenises_as_before(text):
    assert not any(unicodedata.category(c).startswith("M") for c in text)
    assert tokenize(text) == _STDLIB_TOKEN_RE.findall(text.casefold())


@pytest.mark.parametrize(
    "text",
    [
        "प्रधानमंत्री नरेंद्र मोदी ने कहा। Modi’s visit.",
        "اَلْعَرَبِيَّةُ’s script\nand cafe\u0301’s menu \u2764\ufe0f",
    ],
)
def test_dedup_stream_tokens_are_the_product_tokens(text):
    stream = [t for t in entities.STREAM_RE.findall(text) if t not in '.!?:;"«»„“”\n\x00']
    product = ["s" if t[0] in "'’" else t.casefold() for t in stream]
    assert entities.casefold_safe(text)
    assert product == tokenize(text)


@pytest.mark.parametrize(
    "pattern", [entities.STREAM_RE, token_module._TOKEN_RE], ids=["stream", "token"]
)
def test_ascii_twin_gives_the_unicode_patterns_matches(pattern):
    rng = random.Random(11)
    alphabet = "abcXYZ019 .,:;!?'\"\n\x00_-s"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert pattern.ascii.findall(text) == pattern.unicode.findall(text), text
