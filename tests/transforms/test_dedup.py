"""FindDuplicates on a real Beam runner, with TestPipeline and assert_that."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsingest.transforms.core.candidate_keys import candidate_keys
from newsingest.transforms.core.canonical import rank
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.engine import RemovedPrior, content_keys, dedup
from newsingest.transforms.core.features import compute_features
from newsingest.transforms.core.resolution import Decision
from newsingest.transforms.core.stories import Resolution
from newsingest.transforms.core.story_model import load_model
from newsingest.transforms.core.text import content_hash
from newsingest.transforms.dedup import FindDuplicates
from newsingest.transforms.normalize import normalize_batch
from newsingest.transforms.records import FeatureBatch, RawArticle, RawBatch
from newsingest.transforms.signatures import feature_batch

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "articles"

BASE = (
    "The city council of Graz approved a new tram line on Tuesday linking the main station "
    "with the university campus and the hospital district, with construction due to start "
    "in autumn and the first trams expected to run in 2027, officials said after the vote. "
    "The line will be 4.8 kilometres long with nine stops, and the regional government has "
    "promised to cover half of the 120 million euro cost. Opposition councillors criticised "
    "the plan for removing 300 parking spaces along Elisabethstrasse, while cycling groups "
    "welcomed a protected bike lane that will run beside the tracks for most of the route. "
    "Residents will be able to comment on the detailed design at public meetings in May, "
    "and the transport authority said buses would replace trams during the works."
)
LIGHT_EDIT = BASE.replace("in May", "in early May")
OTHER = (
    "Heavy snow closed the Brenner motorway for six hours on Sunday, stranding hundreds of "
    "lorries between Innsbruck and the Italian border before ploughs cleared the lanes."
)
TEXTS = {1: BASE, 2: BASE, 3: LIGHT_EDIT, 4: OTHER, 5: LIGHT_EDIT}
DAYS = {1: 10, 2: 11, 3: 12, 4: 10, 5: 13}


def _batch(keys, prior=False):
    config = DedupConfig()
    texts = [TEXTS[k] for k in keys]
    days = [DAYS[k] for k in keys]
    features = compute_features(texts, [content_hash(t) for t in texts], days, config)
    ranks = [rank(dt.date(1970, 1, 1) + dt.timedelta(days=d), None) for d in days]
    return FeatureBatch(
        doc_keys=np.array(keys, dtype=np.uint64),
        ranks=np.array(ranks, dtype=np.int64),
        features=features,
        prior=prior,
        story_keys=np.array(keys, dtype=np.uint64) if prior else None,
    )


def _summary(resolution: Resolution):
    return sorted((k, d.duplicate_of, d.method) for k, d in resolution.decisions.items())


@pytest.mark.parametrize("layout,shards", [([[1, 2, 3, 4]], 16), ([[4, 3], [2], [1]], 1)])
def test_exact_and_near_duplicates_point_at_the_earliest_article(local_runner, layout, shards):
    with TestPipeline(runner=local_runner) as p:
        batches = p | beam.Create([_batch(keys) for keys in layout])
        decisions = batches | FindDuplicates(DedupConfig(), num_shards=shards)
        assert_that(
            decisions | beam.Map(_summary),
            equal_to([[(2, 1, "exact"), (3, 1, "near")]]),
        )


def test_prior_articles_stay_canonical_even_when_later(local_runner):
    with TestPipeline(runner=local_runner) as p:
        prior = p | "Prior" >> beam.Create([_batch([3], prior=True)])
        new = p | "New" >> beam.Create([_batch([1, 4])])
        decisions = (prior, new) | beam.Flatten() | FindDuplicates(DedupConfig())
        assert_that(decisions | beam.Map(_summary), equal_to([[(1, 3, "near")]]))


def test_no_input_gives_no_decisions(local_runner):
    with TestPipeline(runner=local_runner) as p:
        empty = p | beam.Create([], reshuffle=False).with_output_types(FeatureBatch)
        assert_that(empty | FindDuplicates(DedupConfig()), equal_to([Resolution({}, {})]))


def test_bad_arguments_fail_at_construction():
    with pytest.raises(ValueError, match="num_shards"):
        FindDuplicates(DedupConfig(), num_shards=0)


def _removed_prior(doc_key: int, duplicate_of: int, method: str = "near"):
    """Article ``doc_key`` as an earlier run's removed duplicate (keys, no features)."""
    batch = _batch([doc_key])
    keys = candidate_keys(batch.features, DedupConfig())
    return RemovedPrior(
        doc_keys=batch.doc_keys,
        ranks=batch.ranks,
        content_keys=content_keys(batch.features.content_hashes),
        keys=keys,
        decisions=(Decision(doc_key, duplicate_of, method, 0.75),),
        story_keys=np.array([duplicate_of], dtype=np.uint64),
    )


def test_a_copy_of_an_earlier_removed_article_follows_it_to_its_canonical(local_runner):
    # 3 was removed as a near duplicate of 1 by an earlier run; 5 is an identical copy of 3.
    removed = _removed_prior(3, 1)
    with TestPipeline(runner=local_runner) as p:
        new = p | "New" >> beam.Create([_batch([5])])
        prior_removed = p | "Removed" >> beam.Create([removed])
        decisions = new | FindDuplicates(DedupConfig(), removed=prior_removed)
        assert_that(decisions | beam.Map(_summary), equal_to([[(5, 1, "near")]]))


@pytest.mark.parametrize("shards", [1, 7])
def test_the_beam_graph_and_the_in_memory_engine_decide_alike(local_runner, shards):
    new, kept, removed = _batch([2, 4, 5]), _batch([1], prior=True), _removed_prior(3, 1)
    with TestPipeline(runner=local_runner) as p:
        batches = p | "Batches" >> beam.Create([new, kept])
        prior_removed = p | "Removed" >> beam.Create([removed])
        decisions = batches | FindDuplicates(DedupConfig(), shards, removed=prior_removed)
        assert_that(
            decisions | beam.Map(_summary),
            equal_to([_summary(dedup(_keyed(new), _keyed(kept), removed, DedupConfig()))]),
        )
    assert _summary(dedup(_keyed(new), _keyed(kept), removed, DedupConfig())) == [
        (2, 1, "exact"),
        (5, 1, "near"),
    ]


def _keyed(batch):
    batch.keys = candidate_keys(batch.features, DedupConfig())
    return batch


def _danube(names: list[str], config: DedupConfig, prior: bool = False) -> FeatureBatch:
    """The sample data's Danube articles, normalised and featurised as a run does."""
    raws = [
        RawArticle(
            uri=name, text=(SAMPLE / "2024-03" / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
        for name in names
    ]
    articles, rejected = normalize_batch(RawBatch(articles=raws))
    assert not rejected
    batch = feature_batch(articles, config)
    if prior:
        batch.prior = True
        batch.story_keys = batch.doc_keys.copy()
    return batch


def _danube_probability() -> float:
    batch = _danube(["danube-port-original.txt", "danube-port-rewrite.txt"], DedupConfig())
    return load_model().score(batch.features.profile(0), batch.features.profile(1))


def _danube_group_probability() -> float:
    batch = _danube(["danube-port-original.txt", "danube-port-rewrite.txt"], DedupConfig())
    return load_model().group_score(batch.features.profile(0), batch.features.profile(1))


def _story_summary(resolution: Resolution, docs: list[int]):
    return (_summary(resolution), [resolution.story_key(d) for d in docs])


@pytest.mark.parametrize("shards", [1, 7])
@pytest.mark.parametrize("tier", ["story", "link", "none"])
def test_the_story_tier_follows_the_model_probability(local_runner, shards, tier):
    """The rewrite's probabilities decide: merge probability at or above the threshold,
    it is removed ("story"); else grouping probability at or above the group threshold,
    it is kept and linked (same story id); else it starts its own story. The Beam graph
    and the in-memory engine agree."""
    p, g = _danube_probability(), _danube_group_probability()
    thresholds = {
        "story": {"story_threshold": p - 1e-6, "story_group_threshold": 1.0},
        "link": {"story_threshold": min(1.0, p + 1e-6), "story_group_threshold": g - 1e-6},
        "none": {
            "story_threshold": min(1.0, p + 1e-6),
            "story_group_threshold": min(1.0, g + 1e-6),
        },
    }[tier]
    config = DedupConfig(**thresholds)
    batch = _danube(["danube-port-original.txt", "danube-port-rewrite.txt"], config)
    original, rewrite = batch.doc_keys.tolist()
    expected = {
        "story": ([(rewrite, original, "story")], [original, original]),
        "link": ([], [original, original]),
        "none": ([], [original, rewrite]),
    }[tier]
    assert _story_summary(dedup(batch, None, None, config), [original, rewrite]) == expected
    with TestPipeline(runner=local_runner) as pipeline:
        found = pipeline | beam.Create([batch]) | FindDuplicates(config, shards)
        assert_that(found | beam.Map(_story_summary, [original, rewrite]), equal_to([expected]))


def test_a_new_article_linking_a_prior_one_takes_its_story(local_runner):
    """Incremental form: the earlier run kept the original with story key 99 (as the
    index stores it); the new rewrite links to it and takes that story key."""
    p, g = _danube_probability(), _danube_group_probability()
    config = DedupConfig(story_threshold=min(1.0, p + 1e-6), story_group_threshold=g - 1e-6)
    prior = _danube(["danube-port-original.txt"], config, prior=True)
    prior.story_keys = np.array([99], dtype=np.uint64)
    new = _danube(["danube-port-rewrite.txt"], config)
    [rewrite] = new.doc_keys.tolist()
    assert dedup(new, prior, None, config).story_key(rewrite) == 99
    with TestPipeline(runner=local_runner) as pipeline:
        found = pipeline | beam.Create([prior, new]) | FindDuplicates(config, 3)
        assert_that(found | beam.Map(lambda r: r.story_key(rewrite)), equal_to([99]))
