"""The batched, column-wise features equal the one-document reference exactly."""

from __future__ import annotations

import csv
import json
import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_table import FeatureTable
from newsingest.transforms.core.features import compute_features
from newsingest.transforms.core.text import content_hash
from newsingest.transforms.core.verification import STORY_LINK, verify, verify_pairs
from tests.conftest import CORPORA_DIR, SAMPLE_DIR
from tests.transforms.core.reference_features import reference_features
from tests.transforms.core.test_similarity import EARNINGS_A, STORY_A, STORY_B

LONG = (
    "The regional council approved a 4.8 kilometre tram line with nine stops on Tuesday, "
    "linking the main station with the university campus and the hospital district. "
    "Construction is due to start in autumn and the first trams should run in 2027. "
    "The regional government promised to cover half of the 120 million euro cost, while "
    "opposition councillors criticised the loss of 300 parking spaces along the route. "
)
TEXTS = [
    LONG * 2,
    (LONG * 2).replace("in autumn", "in early autumn"),
    "",
    "one",
    "two words",
    "Shr 46 cts vs 31 cts Net 1,234,000 vs 902,000 Revs 18.6 mln vs 15.1 mln",
    "普京访问朝鲜，与金正恩会谈。 Putin visited Pyongyang.",
    "日本の首相が東京で記者会見を行った。",
    STORY_A,
    STORY_B,
    EARNINGS_A,
    # Caps headline, Title Case heading, initials, possessives, quotes, short lines.
    "SOUTH AFRICA OPTIMISTIC ABOUT DEBT TALKS\n\nFinance Minister Barend du Plessis said "
    "South Africa's creditors in New York and London agreed.\nPretoria Talks Resume Today\n\n"
    'U.S. officials and Sergei E. Naryshkin\'s aides met at the IMF. "Pretoria wins," said '
    "Du Plessis; Plessis added: Creditors agree.\nShort line\nNew Line Starts Here "
    "with Barend and O'Brien’s plan: SEC filing (KCNA) A. B.",
    "İstanbul'da Cumhurbaşkanı Erdoğan Ankara'yı ziyaret etti. Die Straße in München ist "
    "gesperrt, sagte Oberbürgermeister Dieter Reiter. ΣΟΦΙΑ Ὀδυσσεύς ᾳ",
    "Acme Corp\x00 said Acme\x00Widget Holdings and Widget Holdings agreed.",
    "الرئيس المصري عبد الفتاح السيسي يستقبل وزير الخارجية الأمريكي في القاهرة " * 4,
    "俄罗斯对外情报局局长纳雷什金抵达平壤，与朝鲜国家保卫相李昌大举行会谈。" * 3,
] + [p.read_text(errors="replace") for p in sorted(SAMPLE_DIR.rglob("*.txt"))]


def _corpus() -> list[str]:
    texts = list(TEXTS)
    reuters = CORPORA_DIR / "reuters21578" / "reut2-000.json"
    if reuters.exists():
        texts += [s.get("body") or "" for s in json.loads(reuters.read_text())[:300]]
    semeval = CORPORA_DIR / "semeval2022-task8" / "training_set.csv"
    if semeval.exists():
        csv.field_size_limit(1 << 30)
        with semeval.open(encoding="utf-8", newline="") as handle:
            rows = [row for _, row in zip(range(150), csv.DictReader(handle), strict=False)]
        texts += [row[column] for row in rows for column in ("text1", "text2")]
    return texts


@pytest.mark.parametrize(
    "config",
    [
        DedupConfig(),
        DedupConfig(ngram=3, num_perm=64, max_figures=4),
        DedupConfig(story_enabled=False),
    ],
)
def test_batched_features_equal_reference(config):
    texts = _corpus()
    days = [None if i % 7 == 0 else 19_000 + i % 5 for i in range(len(texts))]
    hashes = [content_hash(t) for t in texts]
    batched = compute_features(texts, hashes, days, config)
    assert isinstance(batched, FeatureTable)
    assert list(batched) == reference_features(texts, hashes, days, config)


def test_table_take_concat_and_rows_roundtrip():
    config = DedupConfig()
    texts = _corpus()[:40]
    table = compute_features(texts, [content_hash(t) for t in texts], [1] * len(texts), config)
    rows = np.array([5, 0, len(texts) - 1, 5])
    assert list(table.take(rows)) == [table[i] for i in rows.tolist()]
    assert list(FeatureTable.concat([table.take(rows[:2]), table.take(rows[2:])])) == list(
        table.take(rows)
    )
    assert list(FeatureTable.from_rows(list(table), config.num_perm)) == list(table)


@pytest.mark.parametrize(
    "config",
    [
        DedupConfig(),
        DedupConfig(story_requires_dates=False),
        DedupConfig(story_threshold=0.5, story_group_threshold=0.2),
    ],
)
def test_verify_pairs_equals_verify_pair_by_pair(config):
    texts = _corpus()
    rng = random.Random(7)
    days = [None if rng.random() < 0.1 else 19_000 + rng.randrange(4) for _ in texts]
    days[TEXTS.index(STORY_A)], days[TEXTS.index(STORY_B)] = 19_000, 19_001
    table = compute_features(texts, [content_hash(t) for t in texts], days, config)
    every_sample_pair = [(a, b) for a in range(len(TEXTS)) for b in range(len(TEXTS))]
    random_pairs = [(rng.randrange(len(texts)), rng.randrange(len(texts))) for _ in range(3000)]
    left, right = (np.array(side) for side in zip(*(every_sample_pair + random_pairs), strict=True))
    expected = [verify(table[a], table[b], config) for a, b in zip(left, right, strict=True)]
    assert verify_pairs(table.take(left), table.take(right), config) == expected
    methods = {m.method for m in expected if m is not None}
    assert {"exact", "near", "story"} <= methods <= {"exact", "near", "story", STORY_LINK}


def test_concurrent_batches_share_the_vocabulary_safely():
    config = DedupConfig(min_term_len=5)  # a vocabulary no other test has filled
    texts = _corpus()
    chunks = [texts[i::8] for i in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        tables = list(
            pool.map(
                lambda chunk: compute_features(
                    chunk, [content_hash(t) for t in chunk], [1] * len(chunk), config
                ),
                chunks,
            )
        )
    for chunk, table in zip(chunks, tables, strict=True):
        hashes = [content_hash(t) for t in chunk]
        assert list(table) == reference_features(chunk, hashes, [1] * len(chunk), config)


@pytest.mark.parametrize("processes", [2, 3])
def test_profiles_in_pool_processes_equal_the_reference(processes):
    texts = _corpus()
    days = [None if i % 7 == 0 else 19_000 + i % 5 for i in range(len(texts))]
    hashes = [content_hash(t) for t in texts]
    titles = [t.split("\n", 1)[0][:80] if i % 3 else None for i, t in enumerate(texts)]
    config = DedupConfig()
    pooled = compute_features(texts, hashes, days, config, titles, processes=processes)
    assert list(pooled) == list(compute_features(texts, hashes, days, config, titles))
    assert list(pooled) != list(compute_features(texts, hashes, days, config))
