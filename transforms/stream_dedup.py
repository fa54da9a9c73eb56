"""Streaming dedup: landing files seen once, articles deduplicated through keyed state.

* ``observe``: the settle rule shared by ``newsingest watch`` and ``DedupFiles``.
* ``DedupFiles``: ``MatchContinuously(has_deduplication=False)`` output -> each file once.
* ``StreamDedup``: the streaming form of ``FindDuplicates`` (Lookup per band shard ->
  Gather per article -> Verify per doc shard -> Decide), seeded from the
  persistent index by ``PriorIndex``.
"""

from __future__ import annotations

import time
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import apache_beam as beam
import numpy as np
import pyarrow as pa
from apache_beam.coders import PickleCoder
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    BagStateSpec,
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)

from newsingest.transforms.core import feature_codec
from newsingest.transforms.core.clustering import Decision
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.verification import verify
from newsingest.transforms.read import is_ignored_name
from newsingest.transforms.records import FeatureBatch, FileRef

__all__ = ["DedupFiles", "Observation", "PriorIndex", "StreamDedup", "choose", "observe"]


class Observation(NamedTuple):
    """What was last seen of a file: its size, mtime and since when (wall seconds)."""

    size: int
    mtime: float
    since: float


def observe(
    previous: Observation | None, size: int, mtime: float, now: float, settle_s: float
) -> tuple[Observation, bool]:
    """The settle rule: is a file of this size and mtime complete enough to read?

    A file is *settled* once its size and mtime have not changed for
    ``settle_s`` seconds: either its mtime is already that old, or we have
    seen the same size and mtime since at least that long ago (which also
    covers a writer whose clock runs ahead). Writers that pause for longer
    than ``settle_s`` mid-file must write under an ignored name (``.name``,
    ``_name``, ``*.tmp``, ``*.part``, ``*.partial``) and rename when done.

    Returns the observation to remember and whether the file is settled.
    """
    if previous is None or (previous.size, previous.mtime) != (size, mtime):
        previous = Observation(size, mtime, now)
    settled = now - mtime >= settle_s or now - previous.since >= settle_s
    return previous, settled


# --------------------------------------------------------------------------------------------
# Beam: landing files, each seen once
# --------------------------------------------------------------------------------------------


class _NewFilesFn(beam.DoFn):
    """Keyed by URI: emits a file once, when it has settled; never again."""

    SEEN = ReadModifyWriteStateSpec("seen", PickleCoder())

    def __init__(self, settle_s: float):
        self._settle_s = settle_s

    def process(self, element, seen=beam.DoFn.StateParam(SEEN)) -> Iterator[FileRef]:  # noqa: B008 - Beam's state parameter idiom
        uri, (size, mtime) = element
        previous, emitted = seen.read() or (None, None)
        if emitted is not None:
            return
        observation, settled = observe(previous, size, mtime, time.time(), self._settle_s)
        if settled:
            seen.write((None, (size, mtime)))
            yield FileRef(uri=uri, size=size)
        else:
            seen.write((observation, emitted))


class DedupFiles(beam.PTransform):
    """``PCollection[FileMetadata]`` (every listing of ``MatchContinuously(...,
    has_deduplication=False)``) -> ``PCollection[FileRef]``: each file once.

    Ignored names (``transforms.read.is_ignored_name``) are dropped; a file is
    emitted once, at the first listing where it has settled (``observe``). A
    file rewritten in place after that is not read again (land new content
    under a new name), so an article can never be emitted twice by the stream.
    State is keyed by URI, so it scales with the number of files, across
    workers.
    """

    def __init__(self, settle_s: float = 1.0):
        super().__init__()
        if settle_s < 0:
            raise ValueError(f"settle_s must be >= 0, got {settle_s}")
        self._settle_s = settle_s

    def expand(self, matches):
        return (
            matches
            | "SkipTempNames" >> beam.Filter(lambda m: not is_ignored_name(m.path))
            | "KeyByUri"
            >> beam.Map(lambda m: (m.path, (m.size_in_bytes, m.last_updated_in_seconds)))
            | "FirstSettled" >> beam.ParDo(_NewFilesFn(self._settle_s))
        )


# --------------------------------------------------------------------------------------------
# Beam: articles deduplicated against the stream and the index through keyed state
# --------------------------------------------------------------------------------------------

_METHOD_PRIORITY = {"exact": 0, "near": 1, "story": 2}
_DECIDER = 0
_BY_SHARD = typing.Tuple[int, typing.Any]  # noqa: UP006 - Beam type hints
_BY_DOC = typing.Tuple[str, typing.Any]  # noqa: UP006 - article id (hex) keys


class _Partner(NamedTuple):
    rank: int
    prior: bool
    method: str
    similarity: float


@dataclass
class _Pending:
    """What the decider knows of an undecided article."""

    rank: int
    expected: int | None = None
    received: int = 0
    matches: dict = field(default_factory=dict)  # partner doc_key -> _Partner


def choose(
    doc_key: int,
    matches: dict[int, _Partner],
    status: dict[int, tuple[int, Decision | None]],
) -> Decision | None:
    """``clustering.resolve``'s rule for one article, given its partners' status.

    ``matches`` are verified partners; ``status`` maps decided articles to
    ``(rank, Decision or None if kept)``; prior (indexed) partners are kept.
    The article becomes a duplicate of its best kept partner (exact before near
    before story, then similarity, then rank); an exact copy of a removed
    article with no kept exact partner follows it to its canonical.
    """
    options, twins = [], []
    for partner, match in matches.items():
        known = status.get(partner)
        if match.prior or (known is not None and known[1] is None):
            options.append((partner, match))
        elif known is not None and match.method == "exact":
            twins.append((partner, match))
    if twins and not any(m.method == "exact" for _, m in options):
        twin, _ = min(twins, key=lambda item: (item[1].rank, item[0]))
        followed = status[twin][1]
        return Decision(doc_key, followed.duplicate_of, followed.method, followed.similarity)
    if not options:
        return None
    partner, match = min(
        options,
        key=lambda item: (
            _METHOD_PRIORITY[item[1].method],
            -item[1].similarity,
            item[1].rank,
            item[0],
        ),
    )
    return Decision(doc_key, partner, match.method, match.similarity)


class _FanOutFn(beam.DoFn):
    """One article's messages: bucket keys per band shard, its features twice."""

    def __init__(self, num_shards: int):
        self._shards = num_shards

    def process(self, batch: FeatureBatch):
        for i, doc in enumerate(batch.doc_keys.tolist()):
            rank, row = int(batch.ranks[i]), batch.features[i]
            yield beam.pvalue.TaggedOutput(
                "features", (doc % self._shards, ("features", doc, rank, row, False))
            )
            yield beam.pvalue.TaggedOutput("own", (f"{doc:016x}", ("features", rank, row)))
            keys = batch.keys[i]
            shards = keys % np.uint64(self._shards)
            for shard in np.unique(shards).tolist():
                yield shard, (doc, rank, tuple(keys[shards == shard].tolist()))


def _prior_band_entries(table: pa.Table, num_shards: int, num_keys: int):
    kept = table.column("kept").to_numpy(zero_copy_only=False)
    docs = table.column("doc_key").to_numpy()
    ranks = table.column("rank").to_numpy()
    band_keys = table.column("band_keys").combine_chunks()
    values, offsets = band_keys.values.to_numpy(), band_keys.offsets.to_numpy()
    for i in np.flatnonzero(kept).tolist():
        for key in values[offsets[i] : offsets[i] + num_keys].tolist():
            yield key % num_shards, (key, int(ranks[i]), int(docs[i]))


def _prior_features(table: pa.Table, num_shards: int):
    kept = table.column("kept").to_numpy(zero_copy_only=False)
    docs = table.column("doc_key").to_numpy()
    ranks = table.column("rank").to_numpy()
    blobs = table.column("features")
    for i in np.flatnonzero(kept).tolist():
        doc = int(docs[i])
        yield doc % num_shards, (doc, int(ranks[i]), blobs[i].as_py())


def _entries(multimap, key) -> list:
    """Values of ``key`` in a multimap side input (a lazy map on portable runners)."""
    try:
        return list(multimap[key])
    except KeyError:
        return []


class _LookupFn(beam.DoFn):
    """Keyed by band shard: bucket key -> first members; answers and joins in one step."""

    BUCKETS = ReadModifyWriteStateSpec("buckets", PickleCoder())

    def __init__(self, all_pairs_cap: int):
        self._cap = all_pairs_cap

    def process(self, element, prior, buckets=beam.DoFn.StateParam(BUCKETS)):  # noqa: B008 - Beam's state parameter idiom
        shard, (doc, rank, keys) = element
        table = buckets.read()
        if table is None:
            table = {}
            for key, _rank, prior_doc in _entries(prior, shard):
                members = table.setdefault(key, [])
                if len(members) < self._cap:
                    members.append(prior_doc)
        found = set()
        for key in keys:
            members = table.setdefault(key, [])
            found.update(m for m in members if m != doc)
            if doc not in members and len(members) < self._cap:
                members.append(doc)
        buckets.write(table)
        yield f"{doc:016x}", ("lookup", rank, len(keys), tuple(sorted(found)))


class _GatherFn(beam.DoFn):
    """Keyed by article: unions its lookups, then asks each candidate's shard to verify."""

    STATE = ReadModifyWriteStateSpec("gather", PickleCoder())

    def __init__(self, num_keys: int, num_shards: int):
        self._num_keys = num_keys
        self._shards = num_shards

    def process(self, element, state=beam.DoFn.StateParam(STATE)):  # noqa: B008 - Beam's state parameter idiom
        doc, message = element
        doc = int(doc, 16)
        keys, found, rank, row = state.read() or (0, frozenset(), None, None)
        if message[0] == "features":
            rank, row = message[1], message[2]
        else:
            rank, keys, found = message[1], keys + message[2], found | set(message[3])
        if row is None or keys < self._num_keys:
            state.write((keys, found, rank, row))
            return
        state.clear()
        yield beam.pvalue.TaggedOutput("expect", (_DECIDER, ("expect", doc, rank, len(found))))
        for partner in sorted(found):
            yield partner % self._shards, ("pair", partner, doc, rank, row)


class _VerifyFn(beam.DoFn):
    """Keyed by doc shard: features of its articles; verifies pairs against them."""

    DOCS = ReadModifyWriteStateSpec("docs", PickleCoder())
    WAITING = BagStateSpec("waiting", PickleCoder())

    def __init__(self, config: DedupConfig):
        self._config = config

    def process(
        self,
        element,
        prior,
        docs=beam.DoFn.StateParam(DOCS),  # noqa: B008 - Beam's state parameter idiom
        waiting=beam.DoFn.StateParam(WAITING),  # noqa: B008 - Beam's state parameter idiom
    ):
        shard, message = element
        table = docs.read()
        if table is None:
            table = {
                doc: (rank, feature_codec.decode(blob), True)
                for doc, rank, blob in _entries(prior, shard)
            }
        if message[0] == "features":
            _, doc, rank, row, is_prior = message
            table[doc] = (rank, row, is_prior)
            docs.write(table)
            queued = list(waiting.read())
            ready = [m for m in queued if m[1] == doc]
            if ready:
                waiting.clear()
                for m in queued:
                    if m[1] != doc:
                        waiting.add(m)
            for m in ready:
                yield self._verify(table, m)
            return
        docs.write(table)
        if message[1] in table:
            yield self._verify(table, message)
        else:
            waiting.add(message)

    def _verify(self, table, message):
        _, partner, doc, rank, row = message
        partner_rank, partner_row, partner_prior = table[partner]
        match = verify(partner_row, row, self._config)
        return _DECIDER, (
            "result",
            doc,
            rank,
            partner,
            partner_rank,
            partner_prior,
            match.method if match else None,
            match.similarity if match else 0.0,
        )


class _DecideFn(beam.DoFn):
    """One key: decides articles in canonical order once their earlier partners are decided.

    Only verified edges and per-article status reach it (the ``Resolve`` step
    of the batch graph, made incremental). Decisions are taken when the input
    watermark passes the messages received (an event-time timer): by then
    every article listed at or before that time has been through Lookup, so
    articles that arrive together are decided together, in canonical order,
    as in one batch. It holds one record per article of the stream; indexed
    articles are known as kept from the pair results.
    """

    PENDING = ReadModifyWriteStateSpec("pending", PickleCoder())
    DECIDED = BagStateSpec("decided", PickleCoder())
    DECIDE = TimerSpec("decide", TimeDomain.WATERMARK)

    def process(
        self,
        element,
        timestamp=beam.DoFn.TimestampParam,  # noqa: B008 - Beam's parameter idiom
        pending=beam.DoFn.StateParam(PENDING),  # noqa: B008 - Beam's state parameter idiom
        decided=beam.DoFn.StateParam(DECIDED),  # noqa: B008 - Beam's state parameter idiom
        timer=beam.DoFn.TimerParam(DECIDE),  # noqa: B008 - Beam's timer parameter idiom
    ) -> None:
        _, message = element
        book: dict[int, _Pending] = pending.read() or {}
        done = {doc for doc, _, _ in decided.read()} if message[0] == "result" else set()
        if message[0] == "expect":
            _, doc, rank, expected = message
            book.setdefault(doc, _Pending(rank)).expected = expected
        else:
            _, doc, rank, partner, partner_rank, partner_prior, method, similarity = message
            if doc not in done:
                entry = book.setdefault(doc, _Pending(rank))
                entry.received += 1
                if method is not None:
                    entry.matches[partner] = _Partner(
                        partner_rank, partner_prior, method, similarity
                    )
            if method is not None and not partner_prior and partner not in done:
                other = book.setdefault(partner, _Pending(partner_rank))
                other.matches[doc] = _Partner(rank, False, method, similarity)
        pending.write(book)
        timer.set(timestamp)

    @on_timer(DECIDE)
    def decide(
        self,
        pending=beam.DoFn.StateParam(PENDING),  # noqa: B008 - Beam's state parameter idiom
        decided=beam.DoFn.StateParam(DECIDED),  # noqa: B008 - Beam's state parameter idiom
    ) -> Iterator[tuple[int, Decision | None]]:
        book: dict[int, _Pending] = pending.read() or {}
        status = {doc: (rank, decision) for doc, rank, decision in decided.read()}
        progress = True
        while progress:
            progress = False
            for doc in sorted(book, key=lambda d: (book[d].rank, d)):
                entry = book[doc]
                if not self._ready(doc, entry, status):
                    continue
                decision = choose(doc, entry.matches, status)
                status[doc] = (entry.rank, decision)
                decided.add((doc, entry.rank, decision))
                del book[doc]
                progress = True
                yield doc, decision
        pending.write(book)

    @staticmethod
    def _ready(doc: int, entry: _Pending, status) -> bool:
        if entry.expected is None or entry.received < entry.expected:
            return False
        return all(
            match.prior or partner in status or (match.rank, partner) > (entry.rank, doc)
            for partner, match in entry.matches.items()
        )


class StreamDedup(beam.PTransform):
    """``PCollection[FeatureBatch]`` -> ``PCollection[tuple[int, Decision | None]]``.

    The streaming form of ``FindDuplicates``: one output per input article
    (``None``: kept), in any windowing. Stages, each keyed so it scales out:

    1. *Lookup* (state per LSH band shard): bucket key -> its first
       ``all_pairs_cap`` members. An article reads the members of its buckets
       and joins them in the same step, so of two articles sharing a bucket
       the later one always finds the earlier.
    2. *Gather* (state per article): the union of its candidates.
    3. *Verify* (state per doc shard): every article's features; a pair is
       verified where the earlier article's features live (waiting for them if
       they have not arrived yet), so features travel once per pair.
    4. *Decide* (one key, verified edges only): an article is decided once
       all its pairs are verified and every matching partner that ranks before
       it is decided, by ``choose`` (the per-article rule of
       ``clustering.resolve``).

    ``prior_bands`` / ``prior_features`` (optional ``PCollection`` from
    ``PriorIndex``) seed the Lookup and Verify state from the persistent
    index: indexed articles take part as kept canonicals and are never
    removed.

    Decisions are append-only: a decided article never changes. An article
    that ranks before an already decided duplicate of it (it arrived later)
    becomes that article's duplicate, as in incremental batch runs.
    """

    def __init__(
        self,
        config: DedupConfig,
        num_shards: int = 16,
        prior_bands=None,
        prior_features=None,
        all_pairs_cap: int = 16,
    ):
        super().__init__()
        config.validate()
        if num_shards < 1:
            raise ValueError(f"num_shards must be >= 1, got {num_shards}")
        if all_pairs_cap < 2:
            raise ValueError(f"all_pairs_cap must be >= 2, got {all_pairs_cap}")
        if (prior_bands is None) != (prior_features is None):
            raise ValueError("give both prior_bands and prior_features, or neither")
        self._config = config
        self._shards = num_shards
        self._cap = all_pairs_cap
        self._prior = (prior_bands, prior_features)

    def expand(self, batches):
        p = batches.pipeline
        prior_bands, prior_features = self._prior
        if prior_bands is None:
            prior_bands = p | "NoPriorBands" >> beam.Create([]).with_output_types(_BY_SHARD)
            prior_features = p | "NoPriorFeatures" >> beam.Create([]).with_output_types(_BY_SHARD)
        fanned = batches | "FanOut" >> beam.ParDo(_FanOutFn(self._shards)).with_outputs(
            "features", "own", main="bands"
        )
        lookups = fanned.bands | "Lookup" >> beam.ParDo(
            _LookupFn(self._cap), beam.pvalue.AsMultiMap(prior_bands)
        ).with_input_types(_BY_SHARD, typing.Any)
        gathered = (
            (lookups, fanned.own)
            | "ToGather" >> beam.Flatten()
            | "Gather"
            >> beam.ParDo(_GatherFn(self._config.num_keys, self._shards))
            .with_input_types(_BY_DOC)
            .with_outputs("expect", main="pairs")
        )
        results = (
            (fanned.features, gathered.pairs)
            | "ToVerify" >> beam.Flatten()
            | "Verify"
            >> beam.ParDo(
                _VerifyFn(self._config), beam.pvalue.AsMultiMap(prior_features)
            ).with_input_types(_BY_SHARD, typing.Any)
        )
        return (
            (gathered.expect, results)
            | "ToDecide" >> beam.Flatten()
            | "Decide" >> beam.ParDo(_DecideFn()).with_input_types(_BY_SHARD)
        )


class PriorIndex(beam.PTransform):
    """``PBegin`` -> (band entries, features) of the index's kept articles, keyed by shard.

    Feed both to ``StreamDedup`` (they are read as multimap side inputs, one
    shard at a time).
    """

    def __init__(self, index_glob: str, config: DedupConfig, num_shards: int):
        super().__init__()
        self._glob = index_glob
        self._config = config
        self._shards = num_shards

    def expand(self, pbegin):
        tables = pbegin | "ReadIndex" >> beam.io.ReadFromParquetBatched(
            self._glob, columns=["doc_key", "kept", "rank", "band_keys", "features"]
        )
        bands = tables | "BandEntries" >> beam.FlatMap(
            _prior_band_entries, self._shards, self._config.num_keys
        )
        features = tables | "Features" >> beam.FlatMap(_prior_features, self._shards)
        return bands, features
