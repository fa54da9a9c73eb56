"""The multilingual embedding signal: stored form, exact cosine, meaning across languages."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from newsingest.transforms.core.story_embedding import (
    DIMENSIONS,
    EMBED_CHARS,
    embed,
    embedding_cosine,
    prepare,
    prepared_cosine,
)
from newsingest.transforms.core.story_signals import comparable, profile

RATES = {
    "en": "The central bank raised interest rates by half a point to fight inflation.",
    "de": "Die Zentralbank hat die Zinsen um einen halben Punkt angehoben, um die Inflation "
    "zu bekämpfen.",
    "es": "El banco central subió los tipos de interés medio punto para combatir la inflación.",
    "fr": "La banque centrale a relevé ses taux d'intérêt d'un demi-point pour lutter contre "
    "l'inflation.",
    "it": "La banca centrale ha alzato i tassi di interesse di mezzo punto per combattere "
    "l'inflazione.",
    "pl": "Bank centralny podniósł stopy procentowe o pół punktu, aby walczyć z inflacją.",
    "ru": "Центральный банк повысил процентные ставки на полпункта для борьбы с инфляцией.",
    "tr": "Merkez bankası enflasyonla mücadele için faiz oranlarını yarım puan artırdı.",
    "ar": "رفع البنك المركزي أسعار الفائدة بمقدار نصف نقطة لمكافحة التضخم.",
    "zh": "央行将利率上调半个百分点以抑制通货膨胀。",
}
FOOTBALL = "The home team won the cup final after a penalty shoot-out in front of 80,000 fans."


def test_an_embedding_is_int8_of_fixed_size_and_the_same_every_time():
    first = embed(RATES["en"])
    assert first.dtype == np.int8 and first.shape == (DIMENSIONS,)
    assert np.array_equal(first, embed(RATES["en"]))
    assert np.abs(first.astype(np.int64)).max() > 0


def test_only_the_opening_is_read():
    opening = ("Markets rallied as the rate decision came in line with forecasts. " * 40)[
        :EMBED_CHARS
    ]
    assert np.array_equal(embed(opening), embed(opening + " Unrelated tail about football."))


def test_empty_text_is_the_zero_vector_and_compares_as_zero():
    assert not embed("  \n ").any()
    assert embedding_cosine(embed(""), embed(RATES["en"])) == 0.0
    assert embedding_cosine(np.empty(0, np.int8), embed(RATES["en"])) == 0.0


def test_cosine_is_exact_symmetric_and_one_with_itself():
    a, b = embed(RATES["en"]), embed(FOOTBALL)
    assert embedding_cosine(a, a) == 1.0
    assert embedding_cosine(a, b) == embedding_cosine(b, a)
    assert -1.0 <= embedding_cosine(a, b) < 1.0


@pytest.mark.parametrize("lang", sorted(set(RATES) - {"en"}))
def test_a_translation_is_closer_than_another_story_in_english(lang):
    english = embed(RATES["en"])
    assert embedding_cosine(english, embed(RATES[lang])) > embedding_cosine(
        english, embed(FOOTBALL)
    ) + 0.2


def test_vectors_are_read_only_and_a_repeated_opening_is_encoded_once():
    first = embed(RATES["de"])
    assert not first.flags.writeable
    assert embed(RATES["de"]) is first


def test_a_templated_item_is_not_embedded_and_compares_as_zero():
    table = "Shr 1.25 dlrs vs 1.10 dlrs\nNet 12.5 mln vs 11.0 mln\nRevs 98.1 mln vs 90.2 mln\n"
    item = profile("ACME CORP 1ST QTR NET", table * 3, None)
    prose = profile("Rates", RATES["en"], None)
    assert item.templated and len(item.embedding) == 0
    assert len(prose.embedding) == DIMENSIONS
    assert embedding_cosine(item.embedding, prose.embedding) == 0.0


def test_prepared_cosine_equals_the_stored_cosine_bit_for_bit():
    rng = np.random.default_rng(7)
    vectors = [rng.integers(-127, 128, DIMENSIONS).astype(np.int8) for _ in range(20)]
    vectors += [np.zeros(DIMENSIONS, np.int8), np.empty(0, np.int8)]
    for a in vectors:
        for b in vectors:
            assert prepared_cosine(prepare(a), prepare(b)) == embedding_cosine(a, b)


def test_a_comparable_prepares_its_embedding_once_and_compares_by_the_stored_bytes():
    article = comparable(profile("Rates rise", RATES["en"], day=1))
    values = np.frombuffer(article.embedding, np.int8).astype(np.int64)
    assert article.embedding_form.norm2 == int(values @ values) > 0
    copy = pickle.loads(pickle.dumps(article))
    assert copy == article
    assert prepared_cosine(copy.embedding_form, article.embedding_form) == 1.0
