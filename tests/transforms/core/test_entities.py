"""Entity rules of the story tier (transforms/core/entities.py), through compute_features."""

from __future__ import annotations

import numpy as np
import pytest

from newsingest.transforms.core import entities
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.features import compute_features
from newsingest.transforms.core.stop_words import STOP_WORDS
from newsingest.transforms.core.tokens import tokenize
from tests.transforms.core.reference_features import reference_entities

CONFIG = DedupConfig()


def _entities(text: str) -> set[int]:
    row = compute_features([text], ["h"], [1], CONFIG)[0]
    return set(row.entities.tolist())


def _word(word: str) -> int:
    return entities.scan_entry(word, STOP_WORDS)[4]


@pytest.mark.parametrize(
    "text",
    [
        "The talks in Pyongyang ended. Naryshkin's aides met Ri Chang Dae's deputies.",
        "U.S. envoy Sergei E. Naryshkin said:\n“Moscow agrees.”\n\nSEOUL TALKS END\n",
        "İstanbul'da Erdoğan konuştu. Die Straße in München, sagte Dieter Reiter.",
        "Acme\x00Corp said Acme Corp agreed.",
        "",
        "\n\n.",
    ],
)
def test_stream_tokens_are_the_product_tokens(text):
    stream = [t for t in entities.STREAM_RE.findall(text) if t not in '.!?:;"«»„“”\n\x00']
    product = ["s" if t[0] in "'’" else t.casefold() for t in stream]
    if entities.casefold_safe(text):
        assert product == tokenize(text)
    else:
        assert "İ" in text  # the casefold of "İ" splits a token: re-tokenised


def test_mid_sentence_capitals_are_entities_sentence_starts_only_if_seen_inside():
    found = _entities("Analysts expect rain. Officials in Pyongyang met Naryshkin there.")
    assert {_word("Pyongyang"), _word("Naryshkin")} <= found
    assert _word("Analysts") not in found and _word("Officials") not in found
    found = _entities("Naryshkin arrived. Officials said Naryshkin left.")
    assert _word("Naryshkin") in found


def test_caps_headlines_and_title_case_headings_carry_no_entities():
    text = (
        "SOUTH AFRICA OPTIMISTIC ABOUT DEBT TALKS\n\nThe minister said talks went well.\n"
        "Creditors Meet Again Tomorrow Morning\n\nNothing else was said by anyone today."
    )
    found = _entities(text)
    assert not found & {_word(w) for w in ("South", "Africa", "Creditors", "Meet", "Morning")}


def test_stop_words_calendar_and_agencies_are_not_entities():
    found = _entities("On Monday the Reuters desk and Inc staff said The plan in March works.")
    assert not found


def test_names_and_acronyms_weigh_more_and_initials_are_skipped():
    text = "Talks with Sergei E. Naryshkin and the SEC went on, said Sergei E. Naryshkin."
    row = compute_features([text], ["h"], [1], CONFIG)[0]
    weights = row.entities & 0xF
    assert set(weights.tolist()) == {2, 3, 4}  # words, long words, names/acronyms
    assert _word("E") not in set(row.entities.tolist())
    # "sergei naryshkin" (mentioned twice) is a key entity, as are the first words
    assert len(row.key_entities) >= 3 and np.isin(row.key_entities, row.entities).all()


def test_lead_entities_come_from_the_first_words():
    filler = " ".join(["word"] * 70)
    text = f"Officials in Kyiv met. {filler} Later, officials in Lviv met."
    row = compute_features([text], ["h"], [1], CONFIG)[0]
    lead = set(row.lead_entities.tolist())
    assert _word("Kyiv") in lead and _word("Lviv") not in lead
    assert _word("Lviv") in set(row.entities.tolist())


def test_batched_entities_equal_the_reference_walk():
    texts = [
        "Sergei Naryshkin met Ri Chang Dae in Pyongyang. Naryshkin said the SEC and KCNA agreed.",
        "SHORT HEAD\nA line that is long enough to not count as a short line, with Paris in it\n"
        "Berlin starts a line after a long one, and Berlin returns. Rome.",
        "Russia's and O'Brien’s plans: Paris, Berlin and New York City Hall agreed; Rome did not.",
    ]
    table = compute_features(texts, ["a", "b", "c"], [1, 1, 1], CONFIG)
    for text, row in zip(texts, table, strict=True):
        ents, count, lead, key = reference_entities(text, CONFIG)
        np.testing.assert_array_equal(row.entities, ents)
        assert row.entity_count == count
        np.testing.assert_array_equal(row.lead_entities, lead)
        np.testing.assert_array_equal(row.key_entities, key)


def test_caseless_detection():
    assert entities.is_caseless("俄罗斯对外情报局局长纳雷什金抵达平壤" * 5)
    assert not entities.is_caseless("Sergei Naryshkin arrived in Pyongyang " * 5)
