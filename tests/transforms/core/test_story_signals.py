"""Profiles and pair signals of the same-story tier, over languages."""

from __future__ import annotations

import numpy as np
import pytest
import xxhash

from newsingest.transforms.core.story_signals import (
    SIGNAL_NAMES,
    _caps_spans,
    cosine,
    days_apart,
    is_templated,
    pair_signals,
    profile,
)
from newsingest.transforms.core.story_text import tokenize

SIGNAL = {name: i for i, name in enumerate(SIGNAL_NAMES)}

# One story, a rewrite of it, and another story on the same topic, per language.
STORIES = {
    "en": (
        "Sergei Naryshkin, head of Russia's Foreign Intelligence Service, arrived in Pyongyang "
        "on Monday for talks with North Korea's security minister Ri Chang Dae on espionage.",
        "Russia's foreign intelligence chief Sergei Naryshkin held talks in Pyongyang with "
        "Ri Chang Dae, North Korea's minister of state security, about countering espionage.",
        "The Bank of England kept interest rates unchanged on Thursday as inflation in Britain "
        "eased for a third month, Governor Andrew Bailey said in London.",
    ),
    "de": (
        "Der Chef des russischen Auslandsgeheimdienstes, Sergej Naryschkin, ist zu Gesprächen "
        "mit dem nordkoreanischen Sicherheitsminister Ri Chang Dae in Pjöngjang eingetroffen.",
        "Sergej Naryschkin, Leiter des russischen Auslandsgeheimdienstes, hat in Pjöngjang mit "
        "Nordkoreas Sicherheitsminister Ri Chang Dae über Spionageabwehr gesprochen.",
        "Die Europäische Zentralbank hat die Leitzinsen am Donnerstag unverändert gelassen, "
        "teilte EZB-Präsidentin Christine Lagarde in Frankfurt mit.",
    ),
    "es": (
        "El jefe de la inteligencia exterior rusa, Serguéi Narishkin, llegó a Pyongyang para "
        "conversar con el ministro de Seguridad norcoreano Ri Chang Dae sobre espionaje.",
        "Serguéi Narishkin, director de la inteligencia exterior de Rusia, se reunió en Pyongyang "
        "con el ministro norcoreano de Seguridad Ri Chang Dae para hablar de espionaje.",
        "El Banco Central Europeo mantuvo los tipos de interés sin cambios el jueves, informó "
        "su presidenta Christine Lagarde en Fráncfort.",
    ),
    "ru": (
        "Директор Службы внешней разведки России Сергей Нарышкин прибыл в Пхеньян для "
        "переговоров с министром госбезопасности КНДР Ри Чан Дэ о борьбе со шпионажем.",
        "Сергей Нарышкин, глава Службы внешней разведки, провёл в Пхеньяне переговоры с "
        "министром госбезопасности КНДР Ри Чан Дэ о противодействии шпионажу.",
        "Центральный банк Европы в четверг сохранил процентные ставки без изменений, сообщила "
        "председатель ЕЦБ Кристин Лагард во Франкфурте.",
    ),
    "zh": (
        "俄罗斯对外情报局局长纳雷什金抵达平壤，与朝鲜国家保卫相李昌大举行会谈，讨论反间谍合作。",
        "朝鲜国家保卫相李昌大在平壤会见俄罗斯对外情报局局长纳雷什金，双方讨论了反间谍合作。",
        "欧洲央行周四宣布维持利率不变，行长拉加德在法兰克福表示通胀正在放缓。",
    ),
}


@pytest.mark.parametrize("lang", sorted(STORIES))
def test_rewrite_is_closer_than_another_story(lang):
    story, rewrite, other = (profile(None, text, 19800) for text in STORIES[lang])
    assert story.lang == lang
    near = pair_signals(story, rewrite)
    far = pair_signals(story, other)
    for name in ("cos_text", "cos_lemma", "cos_head", "lemma_containment"):
        assert near[SIGNAL[name]] > far[SIGNAL[name]], name
    assert near[SIGNAL["cos_entity"]] > 0.2 > far[SIGNAL["cos_entity"]]


def test_chinese_names_split_by_the_segmenter_are_entities():
    article = profile(None, STORIES["zh"][0], None, "zh")
    assert _key_of("纳雷什金") in set(article.entities.keys.tolist())


@pytest.mark.parametrize("lang", sorted(STORIES))
def test_signals_are_symmetric_and_identical_articles_score_one(lang):
    a, b, _ = (profile(None, text, None) for text in STORIES[lang])
    assert np.array_equal(pair_signals(a, b), pair_signals(b, a))
    same = pair_signals(a, a)
    for name in ("cos_text", "cos_lemma", "cos_entity", "shingle_containment", "shingle_jaccard"):
        assert same[SIGNAL[name]] == pytest.approx(1.0)


def test_vectors_are_normalised_and_keys_seeded_hashes():
    article = profile("Naryshkin visits Pyongyang", STORIES["en"][0], None)
    for vector in (article.title, article.head, article.text, article.lemmas, article.entities):
        assert float(vector.weights @ vector.weights) == pytest.approx(1.0)
        assert np.all(np.diff(vector.keys.astype(np.float64)) > 0)
    assert cosine(article.text, None) == 0.0
    again = profile("Naryshkin visits Pyongyang", STORIES["en"][0], None)
    assert np.array_equal(article.text.keys, again.text.keys)
    assert xxhash.xxh3_64_intdigest(b"x", seed=0x57) == xxhash.xxh3_64_intdigest(b"x", seed=0x57)


def _entity_keys(title, body, lang=None):
    return set(profile(title, body, None, lang).entities.keys.tolist())


def _key_of(word):
    return xxhash.xxh3_64_intdigest(word.encode("utf-8"), seed=0x57)


def test_german_capitalised_common_nouns_are_not_entities_but_names_are():
    body = (
        "Nach Angaben der Regierung traf sich Naryschkin am Montag in Pjöngjang mit dem "
        "Minister. Die Regierung und die Polizei sprachen von einem Erfolg."
    )
    keys = _entity_keys(None, body, "de")
    assert _key_of("naryschkin") in keys and _key_of("pjöngjang") in keys
    assert _key_of("regierung") not in keys and _key_of("polizei") not in keys


def test_capitals_of_caps_lines_and_sentence_starts_say_nothing():
    keys = _entity_keys(
        "FED RAISES DISCOUNT RATE AFTER MEETING",
        "Analysts said Volcker expected the move. Members said the Fed acted alone.",
        "en",
    )
    assert _key_of("volcker") in keys and _key_of("fed") in keys
    assert _key_of("raises") not in keys and _key_of("analysts") not in keys
    assert _key_of("members") not in keys


def test_figures_agree_and_disagree():
    base = "Exxon raised its posted crude price by 50 cts to 18.00 dlrs a barrel on Monday."
    same = profile(None, base, 6262)
    moved = profile(None, base.replace("50 cts to 18.00", "75 cts to 19.25"), 6262)
    agree = pair_signals(same, profile(None, base, 6262))
    differ = pair_signals(same, moved)
    assert agree[SIGNAL["figure_jaccard"]] == 1.0 and agree[SIGNAL["figures_missing"]] == 0.0
    assert differ[SIGNAL["figure_jaccard"]] < 0.5 < differ[SIGNAL["figures_missing"]]


def test_shorter_cut_is_contained_in_the_longer_one():
    long_text = STORIES["en"][0] + " " + STORIES["en"][2]
    short, long_ = profile(None, STORIES["en"][0], None), profile(None, long_text, None)
    signals = pair_signals(short, long_)
    assert signals[SIGNAL["shingle_containment"]] > 0.9
    assert signals[SIGNAL["lemma_containment"]] > 0.9
    assert signals[SIGNAL["shingle_jaccard"]] < 0.7
    assert signals[SIGNAL["length_ratio"]] > 0.5


@pytest.mark.parametrize(
    ("day_a", "day_b", "expected"), [(100, 100, 0), (100, 97, 3), (100, None, None)]
)
def test_days_apart_and_unknown_dates(day_a, day_b, expected):
    a = profile(None, STORIES["en"][0], day_a)
    b = profile(None, STORIES["en"][1], day_b)
    assert days_apart(a, b) == days_apart(b, a) == expected
    undated = profile(None, STORIES["en"][0], None)
    assert np.array_equal(pair_signals(a, b), pair_signals(undated, b))


def test_missing_titles_fall_back_to_the_head():
    a = profile(None, STORIES["en"][0], None)
    b = profile("Naryshkin in Pyongyang", STORIES["en"][1], None)
    signals = pair_signals(a, b)
    assert signals[SIGNAL["cos_title"]] == signals[SIGNAL["cos_head"]]


def test_templated_items_are_recognised():
    table = "Shr 46 cts vs 31 cts\nNet 1,234,000 vs 987,000\nRevs 12.5 mln vs 11.2 mln"
    assert is_templated(tokenize(table, "en"))
    assert not is_templated(tokenize(STORIES["en"][0], "en"))
    assert profile("ACME CORP 1ST QTR NET", table, None, "en").templated


def test_wire_sign_off_line_is_ignored():
    with_sign_off = profile(None, STORIES["en"][0] + "\nReuter", None)
    without = profile(None, STORIES["en"][0], None)
    assert np.array_equal(with_sign_off.text.keys, without.text.keys)


def test_caps_lines_count_upper_case_letters_only():
    text = "OIL PRICES RISE IN LONDON\nⅠⅡⅢⅣⅤⅥⅦⅧⅨ roman numerals here\nshort\nMostly lower case line"
    assert _caps_spans(text) == [(0, 25)]
    # Roman numerals are upper case but not letters: 8 of 10 letters is not "more than 80 %".
    assert _caps_spans("ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ ABCDEFGHij") == []
    assert _caps_spans("ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ ABCDEFGHIj") == [(0, 23)]
    assert _caps_spans("ABCDEFGH") == [(0, 8)]
    assert _caps_spans("ABCDEFG") == []
