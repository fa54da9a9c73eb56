"""The story-model training script is deterministic and fits what it is given."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import story_train
from bench.story_data import REUTERS_LABELS, SEMEVAL_CSV, grouped_folds, semeval_family


def test_logistic_fit_is_deterministic_and_separates_a_clear_signal():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(200, 3))
    y = (x[:, 0] > 0).astype(np.float64)
    first = story_train.fit_logistic(x, y, np.ones(200))
    second = story_train.fit_logistic(x, y, np.ones(200))
    assert np.array_equal(first[0], second[0]) and first[1] == second[1]
    assert first[0][0] > 2 * max(abs(first[0][1]), abs(first[0][2]))


def test_threshold_respects_every_false_merge_budget():
    probs = np.array([0.99, 0.98, 0.97, 0.6, 0.55, 0.2] + [0.1] * 100)
    families = ["reuters_different", "same", "same", "unrelated", "same", "same"] + [
        "reuters_different"
    ] * 100
    threshold = story_train.choose_threshold(probs, families)
    assert 0.6 < threshold < 0.97, "the lone unrelated pair sets it; 2 % of 101 allows 0.99"
    negatives = probs[np.asarray(families) == "reuters_different"]
    assert np.mean(negatives >= threshold) <= story_train.FALSE_MERGE_BUDGETS["reuters_different"]
    assert story_train.choose_threshold(np.array([0.2, 0.1]), ["same", "same"]) == 0.5


@pytest.mark.parametrize(
    ("overall", "family", "label"),
    [(1.0, "same", 1), (1.5, "same", 1), (2.0, "related", None), (2.5, "dissimilar", 0),
     (3.0, "dissimilar", 0), (3.25, "far", 0), (3.5, "unrelated", 0), (4.0, "unrelated", 0)],
)
def test_semeval_families(overall, family, label):
    assert semeval_family(overall) == (family, label)


def test_training_script_is_deterministic_on_a_small_run(tmp_path):
    if not (REUTERS_LABELS.is_file() and SEMEVAL_CSV.is_file()):
        pytest.skip("../shared labels and corpora are not present")
    outputs = []
    for name in ("one.json", "two.json"):
        out = tmp_path / name
        assert story_train.main(["--out", str(out), "--limit", "60"]) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    payload = json.loads(outputs[0])
    assert payload["version"] and len(payload["weights"]) == len(payload["mean"])


def test_grouped_folds_never_split_an_article(tmp_path):
    if not REUTERS_LABELS.is_file():
        pytest.skip("../shared labels are not present")
    from bench.story_data import reuters_pairs

    pairs = reuters_pairs(limit=120)
    fold = grouped_folds(pairs, 5, seed=3)
    where: dict[str, set] = {}
    for pair, k in zip(pairs, fold, strict=True):
        where.setdefault(pair.a_id, set()).add(int(k))
        where.setdefault(pair.b_id, set()).add(int(k))
    assert all(len(folds) == 1 for folds in where.values())
    assert np.array_equal(fold, grouped_folds(pairs, 5, seed=3))
