"""StreamDedup and DedupFiles on a TestStream: decisions as articles arrive over time."""

from __future__ import annotations

import gzip
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.io.filesystem import FileMetadata
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to

from newsingest.transforms.core.clustering import Decision
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.normalize import normalize_batch
from newsingest.transforms.records import RawArticle, RawBatch
from newsingest.transforms.signatures import feature_batch
from newsingest.transforms.stream_dedup import DedupFiles, StreamDedup, _Partner, choose

CONFIG = DedupConfig()
WAVES = [
    [
        "2024-03/danube-port-original.txt",
        "2024-03/library-reopens.txt",
        "2024-03/acme-earnings.txt",
    ],
    ["2024-03/danube-port-syndicated.txt.gz", "misc/library-reopens-update.txt"],
    ["2024-03/danube-port-rewrite.txt", "2024-03/globex-earnings.txt"],
]


def _features(sample_dir: Path, name: str):
    data = (sample_dir / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    articles, _ = normalize_batch(RawBatch([RawArticle(name, data.decode("utf-8"), "utf-8")]))
    return feature_batch(articles, CONFIG)


def _streaming_pipeline() -> TestPipeline:
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    return TestPipeline(options=options)


def test_decisions_as_copies_arrive_after_their_originals(sample_dir):
    batches = {name: _features(sample_dir, name) for wave in WAVES for name in wave}
    names = {int(b.doc_keys[0]): name for name, b in batches.items()}
    stream = TestStream()
    for second, wave in enumerate(WAVES):
        stream = stream.add_elements([batches[name] for name in wave])
        stream = stream.advance_processing_time(5).advance_watermark_to(10 * (second + 1))
    stream = stream.advance_watermark_to_infinity()

    def readable(item):
        doc, decision = item
        if decision is None:
            return names[doc], None, None
        return names[doc], decision.method, names[decision.duplicate_of]

    with _streaming_pipeline() as p:
        decisions = p | stream | StreamDedup(CONFIG, num_shards=3) | beam.Map(readable)
        assert_that(
            decisions,
            equal_to(
                [
                    ("2024-03/danube-port-original.txt", None, None),
                    ("2024-03/library-reopens.txt", None, None),
                    ("2024-03/acme-earnings.txt", None, None),
                    (
                        "2024-03/danube-port-syndicated.txt.gz",
                        "exact",
                        "2024-03/danube-port-original.txt",
                    ),
                    ("misc/library-reopens-update.txt", "near", "2024-03/library-reopens.txt"),
                    (
                        "2024-03/danube-port-rewrite.txt",
                        "story",
                        "2024-03/danube-port-original.txt",
                    ),
                    ("2024-03/globex-earnings.txt", None, None),
                ]
            ),
            label="CheckDecisions",
        )


def test_files_are_emitted_once_when_settled():
    def listing(size, mtime):
        return [
            FileMetadata("/in/a.txt", size, mtime),
            FileMetadata("/in/.b.txt.tmp", 5, 0.0),
        ]

    stream = (
        TestStream()
        .add_elements(listing(10, 0.0))
        .advance_processing_time(1)
        .add_elements(listing(10, 0.0))
        .advance_processing_time(1)
        .add_elements(listing(12, 1.0))
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        refs = p | stream | DedupFiles(settle_s=0.5) | beam.Map(lambda r: (r.uri, r.size))
        # Rewritten in place after it was read: not read again (land new content under a
        # new name), so the stream never emits one article twice.
        assert_that(refs, equal_to([("/in/a.txt", 10)]), label="CheckFiles")


@pytest.mark.parametrize(
    ("matches", "status", "expected"),
    [
        ({}, {}, None),
        ({1: _Partner(0, True, "near", 0.8)}, {}, Decision(9, 1, "near", 0.8)),
        (  # exact beats near; a removed partner is never a canonical
            {1: _Partner(0, True, "near", 0.9), 2: _Partner(1, False, "exact", 1.0)},
            {2: (1, None)},
            Decision(9, 2, "exact", 1.0),
        ),
        (  # an exact copy of a removed article follows it to its canonical
            {3: _Partner(1, False, "exact", 1.0)},
            {3: (1, Decision(3, 1, "story", 0.4))},
            Decision(9, 1, "story", 0.4),
        ),
    ],
)
def test_choose(matches, status, expected):
    assert choose(9, matches, status) == expected
