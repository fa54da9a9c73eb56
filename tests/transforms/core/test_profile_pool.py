"""Same-story profiles in pool processes: the in-process rows, in order."""

from __future__ import annotations

import os

import numpy as np
import pytest

from newsingest.transforms.core.profile_pool import MIN_PART_TEXTS, ProfileRows, profile_rows

TITLES = [None, "Naryshkin arrives in Pyongyang", None, "Tram strike", None]
TEXTS = [
    "The council approved a 4.8 km tram line on Tuesday, said Mayor Anna Berg.",
    "Russian spy chief Sergei Naryshkin arrived in Pyongyang on Tuesday for talks.",
    "俄罗斯对外情报局局长纳雷什金抵达平壤，与朝鲜国家保卫相李昌大举行会谈。",
    "Die Straßenbahnfahrer in Linz streiken am Freitag zwei Stunden, sagte die Gewerkschaft.",
    "",
]
DAYS = [19_000, 19_001, None, 19_002, 19_003]


def _same(a: list[dict], b: list[dict]) -> bool:
    return len(a) == len(b) and all(
        x.keys() == y.keys()
        and all(np.array_equal(x[k], y[k]) if isinstance(x[k], np.ndarray) else x[k] == y[k]
                for k in x)  # fmt: skip
        for x, y in zip(a, b, strict=True)
    )


def test_pool_rows_equal_in_process_rows_in_input_order():
    expected = profile_rows(TITLES, TEXTS, DAYS)
    assert _same(ProfileRows(TITLES, TEXTS, DAYS, processes=2).result(), expected)
    assert _same(ProfileRows(TITLES, TEXTS, DAYS, processes=4).result(), expected)
    reversed_rows = ProfileRows(TITLES[::-1], TEXTS[::-1], DAYS[::-1], processes=2).result()
    assert _same(reversed_rows[::-1], expected)
    assert [r["story_lang"] for r in expected][:4] == ["en", "en", "zh", "de"]


def test_a_large_batch_is_split_over_the_processes_and_a_small_one_is_not():
    many = (TITLES * (2 * MIN_PART_TEXTS // len(TITLES) + 1))[: 2 * MIN_PART_TEXTS]
    texts = [f"{TEXTS[i % len(TEXTS)]} Item {i}." for i in range(len(many))]
    days = [DAYS[i % len(DAYS)] for i in range(len(many))]
    large = ProfileRows(many, texts, days, processes=2)
    small = ProfileRows(TITLES, TEXTS, DAYS, processes=2)
    assert (len(large._futures), len(small._futures)) == (2, 1)
    assert _same(large.result(), profile_rows(many, texts, days))
    assert _same(small.result(), profile_rows(TITLES, TEXTS, DAYS))


def test_one_process_or_one_article_starts_no_process():
    children_before = _children()
    assert _same(ProfileRows(TITLES[:1], TEXTS[:1], DAYS[:1], processes=2).result(),
                 profile_rows(TITLES[:1], TEXTS[:1], DAYS[:1]))  # fmt: skip
    assert _same(ProfileRows(TITLES, TEXTS, DAYS, processes=1).result(),
                 profile_rows(TITLES, TEXTS, DAYS))  # fmt: skip
    assert _children() <= children_before


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        ProfileRows(TITLES, TEXTS[:2], DAYS)


def _children() -> set[int]:
    me = str(os.getpid())
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if handle.read().rsplit(")", 1)[1].split()[1] == me:
                        found.add(int(entry))
            except OSError:
                continue
    return found
