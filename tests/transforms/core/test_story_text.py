"""Language identification, tokenisation, rarity, stop words and lemmas of the story tier."""

from __future__ import annotations

import pytest
import wordfreq

from newsingest.transforms.core import story_text

SENTENCES = {
    "en": "The central bank raised interest rates on Tuesday to fight persistent inflation.",
    "de": "Die Bundesregierung hat am Dienstag neue Maßnahmen gegen die Inflation beschlossen.",
    "es": "El gobierno español anunció el martes nuevas medidas contra la inflación.",
    "fr": "Le gouvernement français a annoncé mardi de nouvelles mesures contre l'inflation.",
    "it": "Il governo italiano ha annunciato martedì nuove misure contro l'inflazione.",
    "pl": "Rząd ogłosił we wtorek nowe działania przeciwko rosnącej inflacji w kraju.",
    "ru": "Правительство во вторник объявило о новых мерах по борьбе с инфляцией.",
    "tr": "Hükümet salı günü enflasyonla mücadele için yeni önlemler açıkladı.",
    "ar": "أعلنت الحكومة يوم الثلاثاء عن إجراءات جديدة لمكافحة التضخم في البلاد.",
    "zh": "中国政府星期二宣布了应对通货膨胀的新措施。",
}


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_detect_language_with_the_bundled_model(lang):
    assert story_text.detect_language(SENTENCES[lang]) == lang


def test_detect_language_of_text_without_letters_is_undetermined():
    assert story_text.detect_language("12 34 -- 56") == "und"


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_tokens_cover_the_words_and_stop_words_come_from_wordfreq(lang):
    tokens = story_text.tokenize(SENTENCES[lang], lang)
    assert len(tokens) >= 4
    assert all(t.norm == t.text.casefold() for t in tokens)
    assert tokens[0].initial and not tokens[1].initial
    stops = story_text.stop_words(lang)
    assert stops == frozenset(wordfreq.top_n_list(lang, story_text.STOP_WORD_COUNT))
    content = [t.norm for t in tokens if t.norm not in stops]
    assert content, "every sentence keeps content words"


@pytest.mark.parametrize(
    ("text", "lang", "numbers"),
    [
        ("Net profit rose to 1,234.5 mln dlrs from 987 mln", "en", ["1,234.5", "987"]),
        ("Der Umsatz stieg auf 12,5 Milliarden Euro (2023: 11,2)", "de", ["12,5", "2023", "11,2"]),
        ("利润增长了12.5%，达到300亿元", "zh", ["12.5", "300"]),
    ],
)
def test_numbers_are_tokens_never_erased(text, lang, numbers):
    tokens = story_text.tokenize(text, lang)
    assert [t.text for t in tokens if t.kind == "num"] == numbers


def test_chinese_is_segmented_into_words_by_jieba():
    words = [t.text for t in story_text.tokenize("中国外交部发言人周二在北京表示", "zh")]
    assert "北京" in words
    assert any(len(w) >= 2 for w in words) and "".join(words) == "中国外交部发言人周二在北京表示"


def test_other_no_space_scripts_become_character_bigrams():
    assert [t.text for t in story_text.tokenize("東京都", "ja")] == ["東京", "京都"]


@pytest.mark.parametrize(
    ("lang", "common", "rare"),
    [
        ("en", "government", "naryshkin"),
        ("de", "regierung", "bundesverfassungsgericht"),
        ("ru", "правительство", "нарышкин"),
        ("zh", "政府", "朝鲜国家保卫相"),
    ],
)
def test_rarity_is_inverse_frequency(lang, common, rare):
    assert story_text.rarity(rare, lang) > story_text.rarity(common, lang) > 0


def test_unknown_language_gets_flat_rarity_and_no_stop_words():
    assert story_text.rarity("anything", "xx") == story_text.UNKNOWN_LANGUAGE_RARITY
    assert story_text.stop_words("xx") == frozenset()


@pytest.mark.parametrize(
    ("word", "lang", "expected"),
    [
        ("häusern", "de", "haus"),
        ("mówił", "pl", "mówić"),
        ("говорили", "ru", "говорить"),
        ("evlerde", "tr", "ev"),
        ("anunció", "es", "anunciar"),
        ("annoncé", "fr", "annoncer"),
    ],
)
def test_lemmas_of_inflected_languages(word, lang, expected):
    assert story_text.lemma(word, lang) == expected


def test_lemma_falls_back_to_the_word():
    assert story_text.lemma("北京", "zh") == "北京"
    assert story_text.lemma("1987", "en") == "1987"
