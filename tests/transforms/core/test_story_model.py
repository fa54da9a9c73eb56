"""The shipped same-story model: loads, versions itself, decides seeds and templated items."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from bench.story_data import profile_raw
from newsingest.transforms.core.story_model import (
    FEATURE_COUNT,
    MODEL_FILE,
    design_matrix,
    load_model,
    model_version,
    weight_signs,
)
from newsingest.transforms.core.story_signals import SIGNAL_NAMES, pair_signals, profile


def _payload() -> dict:
    package = resources.files("newsingest.transforms.core")
    return json.loads(package.joinpath(MODEL_FILE).read_text(encoding="utf-8"))


def test_shipped_weights_load_with_a_matching_content_version():
    model = load_model()
    payload = _payload()
    assert model.version == payload["version"] == model_version(payload)
    assert model.weights.shape == (FEATURE_COUNT,)
    assert 0.5 <= model.threshold < 1.0
    assert payload["signals"] == list(SIGNAL_NAMES)


@pytest.mark.parametrize("field", ["weights", "threshold", "signals"])
def test_a_changed_model_is_refused(field):
    payload = _payload()
    if field == "weights":
        payload["weights"] = payload["weights"][:-1]
        payload["version"] = model_version(payload)
    elif field == "threshold":
        payload["threshold"] = 0.1
    else:
        payload["signals"] = payload["signals"][::-1]
        payload["version"] = model_version(payload)
    with pytest.raises(ValueError):
        load_model(payload)


def test_shipped_weights_are_monotone_in_every_signal():
    model = load_model()
    signs = weight_signs()
    assert np.all(model.weights * signs >= 0)
    base = np.full(len(SIGNAL_NAMES), 0.4)
    for index, name in enumerate(SIGNAL_NAMES):
        if signs[index] == 0:
            continue
        higher = base.copy()
        higher[index] = 0.9
        change = model.probabilities(higher)[0] - model.probabilities(base)[0]
        assert change * signs[index] >= 0, name


def test_design_matrix_keeps_the_signals_first():
    signals = np.random.default_rng(0).random((3, len(SIGNAL_NAMES)))
    design = design_matrix(signals)
    assert design.shape == (3, FEATURE_COUNT)
    assert np.array_equal(design[:, : len(SIGNAL_NAMES)], signals)


@pytest.mark.xfail(
    strict=True,
    reason="known gap (README, Same-story model): the seed rewrite is the top-scoring "
    "seed pair but stays below the precision-first threshold",
)
def test_seed_rewrites_merge_and_nothing_else(seeds_dir):
    model = load_model()
    seeds = {p.name[:3]: profile_raw(p.read_text(encoding="utf-8")) for p in seeds_dir.glob("*")}
    merged = [
        (a, b) for a in sorted(seeds) for b in sorted(seeds)
        if a < b and model.same_story(seeds[a], seeds[b])
    ]
    assert merged == [("000", "001")]


def test_seed_rewrite_outscores_the_seeds_on_other_events(seeds_dir):
    model = load_model()
    seeds = {p.name[:3]: profile_raw(p.read_text(encoding="utf-8")) for p in seeds_dir.glob("*")}
    rewrite = model.score(seeds["000"], seeds["001"])
    assert rewrite > model.score(seeds["001"], seeds["002"])
    assert rewrite > model.score(seeds["001"], seeds["003"])
    assert rewrite > model.score(seeds["003"], seeds["004"])


def test_dated_articles_beyond_the_window_never_merge():
    model = load_model()
    text = STORY
    a, b = profile(None, text, 100), profile(None, text, 100 + model.window_days + 1)
    assert model.score(a, b) >= model.threshold
    assert not model.same_story(a, b)
    assert model.same_story(a, profile(None, text, 100 + model.window_days))
    assert model.same_story(a, profile(None, text, None))


STORY = (
    "Sergei Naryshkin, head of Russia's Foreign Intelligence Service, arrived in Pyongyang "
    "on Monday for talks with North Korea's security minister Ri Chang Dae on espionage. "
    "The two sides agreed to deepen cooperation, the KCNA news agency said on Tuesday."
)

EARNINGS = (
    "Shr {shr} cts vs 31 cts\nNet {net} vs 987,000\nRevs 12.5 mln vs 11.2 mln\n"
    "Nine mths\nShr 1.12 dlrs vs 98 cts\nNet 3,456,000 vs 2,987,000"
)


def test_templated_items_with_different_figures_never_merge():
    model = load_model()
    a = profile("ACME CORP 1ST QTR NET", EARNINGS.format(shr=46, net="1,234,000"), 6262, "en")
    b = profile("ACME CORP 1ST QTR NET", EARNINGS.format(shr=52, net="1,401,000"), 6262, "en")
    assert a.templated and b.templated
    assert not model.same_story(a, b)
    same = profile("ACME CORP 1ST QTR NET", EARNINGS.format(shr=46, net="1,234,000"), 6262, "en")
    assert model.probabilities(pair_signals(a, same))[0] > model.probabilities(
        pair_signals(a, b)
    )[0]


def test_shipped_grouping_decision_is_monotone_and_trained_on_semeval_only():
    model = load_model()
    payload = _payload()
    assert model.group.weights.shape == (FEATURE_COUNT,)
    assert np.all(model.group.weights * weight_signs() >= 0)
    assert 0.5 <= model.group_threshold < 1.0
    assert payload["group"]["training_pairs"]
    assert all(key.startswith("semeval:") for key in payload["group"]["training_pairs"])


def test_a_model_without_a_grouping_decision_is_refused():
    payload = _payload()
    del payload["group"]
    payload["version"] = model_version(payload)
    with pytest.raises(ValueError, match="grouping"):
        load_model(payload)


def test_a_merge_is_always_the_same_story_and_vetoes_bind_both(seeds_dir):
    model = load_model()
    seeds = {p.name[:3]: profile_raw(p.read_text(encoding="utf-8")) for p in seeds_dir.glob("*")}
    profiles = [*seeds.values(), profile(None, STORY, 100), profile(None, STORY, 101)]
    for a in profiles:
        for b in profiles:
            if model.same_story(a, b):
                assert model.same_event(a, b)
    far = profile(None, STORY, 100 + model.window_days + 1)
    assert model.group_score(profiles[-1], far) >= model.group_threshold
    assert not model.same_event(profiles[-2], far)
    a = profile("ACME CORP 1ST QTR NET", EARNINGS.format(shr=46, net="1,234,000"), 6262, "en")
    b = profile("ACME CORP 1ST QTR NET", EARNINGS.format(shr=52, net="1,401,000"), 6262, "en")
    assert not model.same_event(a, b)


def test_seed_rewrite_is_one_story_in_its_window(seeds_dir):
    model = load_model()
    seeds = {p.name[:3]: profile_raw(p.read_text(encoding="utf-8")) for p in seeds_dir.glob("*")}
    assert model.same_event(seeds["000"], seeds["001"])
    assert not model.same_event(seeds["000"], seeds["002"])
