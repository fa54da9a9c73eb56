"""Seeded, realistic benchmark corpus of raw article files with dedup ground truth.

``python -m bench.generate_corpus --count N --seed S --out DIR`` writes ``N`` raw article files
under ``DIR/<folder>/<index>_<16 hex>.txt`` (``.txt.gz`` for the compressed ones, about
``--per-folder`` files per folder) and ``DIR/_truth.json`` describing every file.

What the corpus holds (all rates are knobs, see ``CorpusConfig``):

* ``original``: synthetic news stories of ``--min-words``..``--max-words`` words from a seeded
  Zipf-distributed pseudo-vocabulary (real English function words at the top ranks), people,
  places, organisations and numbers drawn per story, paragraphs separated by blank lines,
  sometimes a title line and a ``SEOUL (Reuters) -`` style dateline. Dates spread over
  ``--days`` days from ``--start-date`` (weekends thinner).
* ``exact``: the body of an original byte for byte, under any header form, dated the same day
  or the day after, sometimes with extra trailing whitespace.
* ``near``: an original with a few words substituted, inserted or deleted and often a trailer,
  calibrated to a 5-word-shingle Jaccard of about 0.85..0.95, dated 0..3 days later.
* ``story``: a rewrite of an original: the same people, places, organisations and figures,
  mostly different sentences (``--story-reuse`` of them kept), dated 0..2 days later.
* ``template``: Reuters-style earnings and dividend notices sharing one template; no two have the
  same figure lines, so none is a duplicate of another.
* ``bad``: empty, binary (random bytes with NULs), undecodable (invalid UTF-8) or truncated gzip.

Date headers come in the forms of ``HEADER_FORMS``: the seeds' inline `` date 2024-03-28 ``
(most common) and, on their own first line, ``Date: Thu, 28 Mar 2024 09:15:00 +0900``,
``2024-03-28T09:15:00Z`` / ``+09:00``, ``Published: March 28, 2024``, Reuters
``26-FEB-1987 15:01:01.79``, ``28.03.2024`` and ``2024/03/28``; ``none`` (no header) and
``invalid`` (inline with an impossible date such as ``2024-13-45``). Local times with a UTC
offset lie between 09:00 and 14:59, so the local and the UTC calendar day agree.

Determinism: every file is a function of ``(config, index)`` only. Global choices (kinds,
originals, dates, header forms, compression, templated figures) are planned with one seeded
NumPy generator; the text of each file comes from a ``random.Random`` seeded with an xxhash of
``(seed, index, purpose)`` and only its ``random()`` stream is used. The same seed and knobs
therefore give byte-identical trees for any ``--workers``. Python's salted ``hash()`` is never
used.

Truth file (``_truth.json``, orjson)::

    {"format": "newsingest-bench-truth/1",
     "params": {...CorpusConfig...},
     "counts": {"files": N, "kind": {...}, "header": {...}, "bad_reason": {...},
                "gz": n, "bytes": n},
     "files": [{"path": "0000/0000000_<hex>.txt", "kind": "near",
                "original": "0003/0003412_<hex>.txt", "date": "2024-03-28",
                "header": "inline"}, ...]}

``files`` is in index order. ``original`` is present for ``exact``/``near``/``story`` and always
names a file of kind ``original`` with a smaller index when one exists. ``date`` is the date a
correct parser reads from the header (``null`` for ``none``/``invalid`` headers and bad files).
``reason`` is present for bad files. ``header`` is ``null`` for bad files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import multiprocessing
import os
import random
import struct
import sys
import time
from bisect import bisect
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import orjson
import xxhash

__all__ = [
    "BAD_REASONS",
    "HEADER_FORMS",
    "KINDS",
    "CorpusConfig",
    "generate_corpus",
    "main",
    "strip_header",
]

KINDS = ("original", "exact", "near", "story", "template", "bad")
HEADER_FORMS = (
    "inline",
    "rfc2822",
    "iso",
    "published",
    "reuters",
    "dotted",
    "slashed",
    "none",
    "invalid",
)
BAD_REASONS = ("empty", "binary", "undecodable", "truncated_gz")
TRUTH_NAME = "_truth.json"
TRUTH_FORMAT = "newsingest-bench-truth/1"

_ORIGINAL, _EXACT, _NEAR, _STORY, _TEMPLATE, _BAD = range(len(KINDS))
_H_INLINE, _H_RFC, _H_ISO, _H_PUB, _H_REUTERS, _H_DOTTED, _H_SLASHED, _H_NONE, _H_INVALID = range(
    len(HEADER_FORMS)
)
# Relative weights of the valid header forms; ``none`` and ``invalid`` are knobs.
_VALID_FORM_WEIGHTS = (0.60, 0.08, 0.08, 0.07, 0.06, 0.045, 0.04)

# Purposes mixed into the per-file seeds, so the streams of one index never overlap.
_P_STORY, _P_FILE, _P_TEMPLATE = 1, 2, 3

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_RFC_OFFSETS = ("-0500", "-0400", "+0000", "+0100", "+0200", "+0530", "+0800", "+0900")

_FUNCTION_TEXT = (
    "the of to and a in said that for on is was with by at as from it be has have he his are "
    "will an its were which but not been had this they their would more after also who percent "
    "year new last two about over government than one people could up other into first million "
    "officials minister president when there against week some state while billion told "
    "since three company market may under between city country security police court "
    "public report party talks deal monday tuesday wednesday thursday friday group plan "
    "time years national official spokesman statement agency economic support news foreign "
    "military local before during most what we no our all if so can according"
)
_FUNCTION_WORDS = tuple(_FUNCTION_TEXT.split())
_SIMPLE_ONSETS = tuple("bcdfghjklmnprstvwz")
_CLUSTER_ONSETS = (
    "br",
    "cr",
    "dr",
    "fr",
    "gr",
    "pr",
    "tr",
    "st",
    "sh",
    "ch",
    "th",
    "bl",
    "cl",
    "pl",
)
# Repetition sets the odds: open and simple syllables are the common ones.
_ONSETS = ("",) * 8 + _SIMPLE_ONSETS * 2 + _CLUSTER_ONSETS
_NUCLEI = ("a", "e", "i", "o", "u") * 3 + ("ai", "ea", "ou", "io", "ee", "oa", "y")
_CODAS = ("",) * 14 + ("n", "r", "s", "l", "m", "t", "n", "r", "s", "nd", "st", "rk", "ng", "x")
_ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü", "n": "ñ"}
_ORG_FORMS = (
    "{A} Holdings",
    "{A} Group",
    "Ministry of {A}",
    "{A} Bank",
    "{A} {B} Corp",
    "National {A} Council",
    "{A} Institute",
    "{A} Party",
    "{A} Energy",
    "{A} University",
    "{A} Telecom",
    "{A} {B} Authority",
)
_PLACE_SUFFIXES = ("", "", "", "ville", "grad", "burg", "stad", "ia", "pur", "ton", "abad", "polis")
_AGENCIES = ("Reuters", "AP", "AFP", "Bloomberg", "UPI", "dpa", "Xinhua", "Kyodo")
_COMPANY_SUFFIXES = ("Corp", "Inc", "Co", "Industries", "Bancorp", "Holdings", "Group", "Ltd")
_QUARTERS = ("1ST", "2ND", "3RD", "4TH")
_TRAILERS = (
    "Reporting by {p0}; Editing by {p1}",
    "(Additional reporting by {p0} in {l0}; Writing by {p1})",
    "Copyright {year} {o0}. All rights reserved.",
    "Read more: {o0} news on {l0}",
    "Follow our coverage of {l0} for the latest updates.",
    "This story has been corrected to fix the spelling of {p0}'s name.",
)
_SLOT_PEOPLE, _SLOT_SURNAMES, _SLOT_PLACES, _SLOT_ORGS, _SLOT_NUMBERS = 0, 3, 6, 8, 10
_SLOT_COUNT = 13


@dataclass(frozen=True)
class CorpusConfig:
    """Everything that determines the corpus (the number of workers does not).

    Attributes:
        count: Number of article files to write.
        seed: Seed of every random choice, ``0 <= seed < 2**64``.
        exact_rate: Share of exact copies of an original.
        near_rate: Share of near-duplicates of an original.
        story_rate: Share of same-story rewrites of an original.
        template_rate: Share of templated earnings/dividend notices.
        bad_rate: Share of bad files (empty, binary, undecodable, truncated gzip).
        gz_rate: Share of the readable files written gzip-compressed.
        no_header_rate: Share of readable files without a date header.
        invalid_header_rate: Share of readable files whose header holds an impossible date.
        start_date: First publication date, ISO ``YYYY-MM-DD``.
        days: Publication dates are spread over this many days.
        per_folder: Files per sub-folder.
        vocab_size: Size of the Zipf pseudo-vocabulary.
        sentence_pool: Number of precomputed sentence templates.
        min_words: Lower bound of an original story's length in words.
        max_words: Upper bound of an original story's length in words.
        story_reuse: Share of a rewrite's sentences taken over from its original.
        near_jaccard: Range of the targeted 5-word-shingle Jaccard of a near-duplicate.
    """

    count: int
    seed: int = 0
    exact_rate: float = 0.05
    near_rate: float = 0.05
    story_rate: float = 0.03
    template_rate: float = 0.05
    bad_rate: float = 0.002
    gz_rate: float = 0.02
    no_header_rate: float = 0.02
    invalid_header_rate: float = 0.005
    start_date: str = "2023-01-01"
    days: int = 730
    per_folder: int = 1000
    vocab_size: int = 50_000
    sentence_pool: int = 100_000
    min_words: int = 150
    max_words: int = 600
    story_reuse: float = 0.2
    near_jaccard: tuple[float, float] = (0.85, 0.95)

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"count must be >= 1, got {self.count}")
        if not 0 <= self.seed < 2**64:
            raise ValueError(f"seed must be in [0, 2**64), got {self.seed}")
        rates = {
            "exact_rate": self.exact_rate,
            "near_rate": self.near_rate,
            "story_rate": self.story_rate,
            "template_rate": self.template_rate,
            "bad_rate": self.bad_rate,
            "gz_rate": self.gz_rate,
            "no_header_rate": self.no_header_rate,
            "invalid_header_rate": self.invalid_header_rate,
            "story_reuse": self.story_reuse,
        }
        for name, value in rates.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if self.exact_rate + self.near_rate + self.story_rate + self.template_rate >= 1.0 - (
            self.bad_rate
        ):
            raise ValueError("duplicate, template and bad rates must leave room for originals")
        if self.no_header_rate + self.invalid_header_rate > 1.0:
            raise ValueError("no_header_rate + invalid_header_rate must be <= 1")
        dt.date.fromisoformat(self.start_date)
        if self.days < 1:
            raise ValueError(f"days must be >= 1, got {self.days}")
        if self.per_folder < 1:
            raise ValueError(f"per_folder must be >= 1, got {self.per_folder}")
        if self.vocab_size < 2 * len(_FUNCTION_WORDS):
            raise ValueError(f"vocab_size must be >= {2 * len(_FUNCTION_WORDS)}")
        if self.sentence_pool < 100:
            raise ValueError("sentence_pool must be >= 100")
        if not 20 <= self.min_words <= self.max_words:
            raise ValueError("need 20 <= min_words <= max_words")
        low, high = self.near_jaccard
        if not 0.0 < low <= high < 1.0:
            raise ValueError(f"near_jaccard must satisfy 0 < low <= high < 1, got {low, high}")


# --------------------------------------------------------------------------------------------
# Seeded language model: vocabulary, entities, sentence templates.
# --------------------------------------------------------------------------------------------


def _zipf_cumulative(size: int, exponent: float, shift: float) -> np.ndarray:
    weights = 1.0 / np.power(np.arange(size, dtype=np.float64) + shift, exponent)
    cumulative = np.cumsum(weights)
    return cumulative / cumulative[-1]


def _pseudo_words(
    rng: np.random.Generator, count: int, syllable_odds: Sequence[float]
) -> list[str]:
    """``count`` distinct pronounceable lowercase words, shorter ones first.

    ``syllable_odds[k]`` is the share of words with ``k + 1`` syllables.
    """
    max_syll = len(syllable_odds)
    odds = np.cumsum(syllable_odds) / sum(syllable_odds)
    words: dict[str, None] = {}
    while len(words) < count:
        batch = max(1024, 2 * (count - len(words)))
        syllables = np.searchsorted(odds, rng.random(batch), side="right") + 1
        syllables = np.minimum(syllables, max_syll)
        syllables.sort()
        parts = np.stack(
            [
                rng.integers(0, len(_ONSETS), size=(batch, max_syll)),
                rng.integers(0, len(_NUCLEI), size=(batch, max_syll)),
                rng.integers(0, len(_CODAS), size=(batch, max_syll)),
            ],
            axis=-1,
        ).tolist()
        for n, word_parts in zip(syllables.tolist(), parts, strict=True):
            word = "".join(_ONSETS[o] + _NUCLEI[v] + _CODAS[c] for o, v, c in word_parts[:n])
            if len(word) > 1:
                words.setdefault(word, None)
            if len(words) == count:
                break
    return list(words)


class _Language:
    """Vocabulary, entity pools and sentence templates derived from one seed.

    Built once per run (about a second); workers share it. Choices inside a story use
    ``random()`` and ``bisect`` on the cumulative weights below.
    """

    def __init__(self, config: CorpusConfig) -> None:
        rng = np.random.Generator(np.random.PCG64([config.seed, 0x1A96]))
        generated = _pseudo_words(rng, config.vocab_size, (0.25, 0.45, 0.22, 0.08))
        known = set(_FUNCTION_WORDS)
        generated = [w for w in generated if w not in known]
        self.words = list(_FUNCTION_WORDS) + generated[: config.vocab_size - len(_FUNCTION_WORDS)]
        self.word_cum = _zipf_cumulative(len(self.words), 1.07, 2.7).tolist()
        self.content_start = len(_FUNCTION_WORDS)

        names = [w.capitalize() for w in _pseudo_words(rng, 12_000, (0.0, 0.7, 0.3))]
        names = [self._accent(rng, n) for n in names]
        first = rng.integers(0, 3000, size=30_000).tolist()
        last = rng.integers(3000, len(names), size=30_000).tolist()
        self.people = [
            (f"{names[f]} {names[s]}", names[s]) for f, s in zip(first, last, strict=True)
        ]
        self.people_cum = _zipf_cumulative(len(self.people), 0.9, 10.0).tolist()

        suffixes = rng.integers(0, len(_PLACE_SUFFIXES), size=6000).tolist()
        self.places = [
            names[i] + _PLACE_SUFFIXES[s]
            for i, s in zip(rng.integers(0, len(names), size=6000).tolist(), suffixes, strict=True)
        ]
        self.places_cum = _zipf_cumulative(len(self.places), 0.9, 5.0).tolist()

        forms = rng.integers(0, len(_ORG_FORMS), size=6000).tolist()
        org_words = rng.integers(0, len(names), size=(6000, 2)).tolist()
        self.orgs = [
            _ORG_FORMS[f].format(A=names[a], B=names[b])
            for f, (a, b) in zip(forms, org_words, strict=True)
        ]
        self.orgs_cum = _zipf_cumulative(len(self.orgs), 0.9, 5.0).tolist()

        company_words = rng.integers(0, len(names), size=(8000, 2)).tolist()
        company_forms = rng.integers(0, 3, size=8000).tolist()
        company_suffixes = rng.integers(0, len(_COMPANY_SUFFIXES), size=8000).tolist()
        self.companies = []
        for (a, b), form, suffix in zip(
            company_words, company_forms, company_suffixes, strict=True
        ):
            stem = names[a] if form else f"{names[a]} {names[b]}"
            name = f"{stem} {_COMPANY_SUFFIXES[suffix]}".upper()
            letters = "".join(ch for ch in name if "A" <= ch <= "Z")
            self.companies.append((name, letters[: 3 + (a % 2)]))

        self.templates, self.template_words = self._sentence_templates(rng, config.sentence_pool)

    @staticmethod
    def _accent(rng: np.random.Generator, name: str) -> str:
        if rng.random() >= 0.06:
            return name
        for i in range(len(name) - 1, 0, -1):
            if name[i] in _ACCENTS:
                return name[:i] + _ACCENTS[name[i]] + name[i + 1 :]
        return name

    def _sentence_templates(
        self, rng: np.random.Generator, count: int
    ) -> tuple[list[str], list[int]]:
        """Sentence format strings whose ``{k}`` slots take a story's entities and figures."""
        lengths = np.clip(np.rint(rng.normal(18.0, 7.0, size=count)), 6, 40).astype(np.int64)
        total = int(lengths.sum())
        cum = np.asarray(self.word_cum)
        word_ids = np.searchsorted(cum, rng.random(total), side="right")
        word_ids = np.minimum(word_ids, len(self.words) - 1)
        # No word twice in a row ("the the"): redraw the second among content words.
        repeated = np.flatnonzero(word_ids[1:] == word_ids[:-1]) + 1
        word_ids[repeated] = rng.integers(self.content_start, len(self.words), len(repeated))
        commas = rng.random(total) < 0.06
        slot_counts = np.searchsorted(np.cumsum([0.3, 0.4, 0.22, 0.08]), rng.random(count))
        slot_kinds = rng.random((count, 3))
        slot_pos = rng.random((count, 3))
        quote = rng.random(count) < 0.08
        quote_said = rng.integers(0, 4, size=count)
        words_array = np.array(self.words, dtype=object)
        tokens_flat = words_array[word_ids]
        tokens_flat[commas] = tokens_flat[commas] + ","
        offsets = np.concatenate(([0], np.cumsum(lengths))).tolist()
        tokens_flat = tokens_flat.tolist()
        templates: list[str] = []
        template_words: list[int] = []
        slot_counts_l = slot_counts.tolist()
        slot_kinds_l = slot_kinds.tolist()
        slot_pos_l = slot_pos.tolist()
        quote_l = quote.tolist()
        said_l = quote_said.tolist()
        for i in range(count):
            tokens = tokens_flat[offsets[i] : offsets[i + 1]]
            tokens[-1] = tokens[-1].rstrip(",")
            for k in range(slot_counts_l[i]):
                tokens.insert(int(slot_pos_l[i][k] * (len(tokens) + 1)), _slot(slot_kinds_l[i][k]))
            text = " ".join(tokens)
            text = text[0].upper() + text[1:]
            if quote_l[i]:
                speaker = "{3}" if said_l[i] < 3 else "{8}"
                said = f"{speaker} said" if said_l[i] % 2 else f"said {speaker}"
                text = f'"{text}," {said}.'
            else:
                text += "."
            templates.append(text)
            template_words.append(text.count(" ") + 1)
        return templates, template_words


def _slot(u: float) -> str:
    """A format slot: people (full name or surname), places, organisations, figures."""
    if u < 0.18:
        index = _SLOT_PEOPLE + (0 if u < 0.11 else 1 if u < 0.16 else 2)
    elif u < 0.40:
        index = _SLOT_SURNAMES + (0 if u < 0.30 else 1 if u < 0.37 else 2)
    elif u < 0.60:
        index = _SLOT_PLACES + (0 if u < 0.52 else 1)
    elif u < 0.82:
        index = _SLOT_ORGS + (0 if u < 0.72 else 1)
    else:
        index = _SLOT_NUMBERS + (0 if u < 0.90 else 1 if u < 0.96 else 2)
    return "{" + str(index) + "}"


# --------------------------------------------------------------------------------------------
# Per-file text.
# --------------------------------------------------------------------------------------------


def _rng(seed: int, index: int, purpose: int) -> random.Random:
    return random.Random(xxhash.xxh3_64_intdigest(struct.pack("<QQ", index, purpose), seed=seed))


def _figure(r: random.Random) -> str:
    u = r.random()
    if u < 0.3:
        return str(2 + int(r.random() * 998))
    if u < 0.5:
        return f"{1000 + int(r.random() * 98_000):,}"
    if u < 0.75:
        return f"{0.1 + r.random() * 19.9:.1f} percent"
    unit = "billion" if r.random() < 0.35 else "million"
    return f"${1 + r.random() * 98:.1f} {unit}"


@dataclass
class _Story:
    """An original story's reusable parts: entity slots and chosen sentence templates."""

    slots: list[str]
    templates: list[int]
    body: str


class _Writer:
    """Builds the bytes of every file from the shared plan (one instance per process)."""

    def __init__(self, config: CorpusConfig, plan: _Plan, language: _Language) -> None:
        self.config = config
        self.plan = plan
        self.lang = language
        self.start = dt.date.fromisoformat(config.start_date).toordinal()

    # -- stories ------------------------------------------------------------------------------

    def _choose(self, r: random.Random, items: Sequence, cum: list[float]):
        return items[min(bisect(cum, r.random()), len(items) - 1)]

    def _word(self, r: random.Random) -> str:
        words = self.lang.words
        return words[min(bisect(self.lang.word_cum, r.random()), len(words) - 1)]

    def _slots(self, r: random.Random) -> list[str]:
        lang = self.lang
        people = [self._choose(r, lang.people, lang.people_cum) for _ in range(3)]
        places = [self._choose(r, lang.places, lang.places_cum) for _ in range(2)]
        orgs = [self._choose(r, lang.orgs, lang.orgs_cum) for _ in range(2)]
        figures = [_figure(r) for _ in range(3)]
        return [p[0] for p in people] + [p[1] for p in people] + places + orgs + figures

    def _title(self, r: random.Random, slots: list[str]) -> str:
        lang = self.lang
        n = 3 + int(r.random() * 5)
        words = []
        for _ in range(n):
            index = min(bisect(lang.word_cum, r.random()), len(lang.words) - 1)
            words.append(lang.words[max(index, lang.content_start + int(r.random() * 2000))])
        head = slots[_SLOT_SURNAMES] if r.random() < 0.5 else slots[_SLOT_ORGS]
        text = " ".join([head] + [w.capitalize() for w in words])
        if r.random() < 0.4:
            text += " in " + slots[_SLOT_PLACES]
        return text

    def _compose(
        self, r: random.Random, slots: list[str], keep: Sequence[int] = (), reuse: float = 0.0
    ) -> tuple[list[int], str]:
        """Pick sentence templates up to a drawn length and lay them out as a story."""
        config = self.config
        lang = self.lang
        target = config.min_words + int(r.random() * (config.max_words - config.min_words + 1))
        pool = len(lang.templates)
        rand = r.random
        template_words = lang.template_words
        chosen: list[int] = []
        words = 0
        while words < target:
            t = keep[int(rand() * len(keep))] if keep and rand() < reuse else int(rand() * pool)
            chosen.append(t)
            words += template_words[t]
        templates = lang.templates
        sentences = [templates[t].format(*slots) for t in chosen]
        if r.random() < 0.4:
            agency = _AGENCIES[int(r.random() * len(_AGENCIES))]
            sentences[0] = f"{slots[_SLOT_PLACES].upper()} ({agency}) - {sentences[0]}"
        paragraphs = []
        i = 0
        first = True
        while i < len(sentences):
            size = 1 + int(r.random() * (2 if first else 4))
            paragraphs.append(" ".join(sentences[i : i + size]))
            i += size
            first = False
        body = "\n\n".join(paragraphs)
        if r.random() < 0.35:
            body = self._title(r, slots) + "\n" + body
        return chosen, body

    def story(self, index: int) -> _Story:
        """The original story of file ``index`` (also rebuilt for its duplicates)."""
        r = _rng(self.config.seed, index, _P_STORY)
        slots = self._slots(r)
        chosen, body = self._compose(r, slots)
        return _Story(slots, chosen, body)

    def _near(self, r: random.Random, story: _Story, year: int) -> str:
        tokens = story.body.split(" ")
        trailer = ""
        if r.random() < 0.6:
            slots = story.slots
            form = _TRAILERS[int(r.random() * len(_TRAILERS))]
            people = self.lang.people
            trailer = form.format(
                p0=self._choose(r, people, self.lang.people_cum)[0],
                p1=self._choose(r, people, self.lang.people_cum)[0],
                l0=slots[_SLOT_PLACES],
                o0=slots[_SLOT_ORGS],
                year=year,
            )
        low, high = self.config.near_jaccard
        target = low + r.random() * (high - low)
        shingles = max(len(tokens) - 4, 1)
        extra = trailer.count(" ") + 1 if trailer else 0
        edits = round((shingles - target * (shingles + extra)) / (5.0 * (1.0 + target)))
        edits = max(edits, 0 if trailer else 1)
        positions = sorted({1 + int(r.random() * (len(tokens) - 1)) for _ in range(edits)})
        for position in reversed(positions):
            if "\n" in tokens[position]:
                continue
            op = r.random()
            if op < 0.5:
                tokens[position] = self._word(r)
            elif op < 0.75:
                tokens.insert(position, self._word(r))
            else:
                del tokens[position]
        body = " ".join(tokens)
        return body + "\n\n" + trailer if trailer else body

    # -- headers ------------------------------------------------------------------------------

    def _header(self, r: random.Random, form: int, day: dt.date) -> str:
        """Header text; for own-line forms it ends with a newline, inline ends with a space."""
        if form == _H_INLINE:
            return f" date {day.isoformat()} "
        if form == _H_NONE:
            return ""
        if form == _H_INVALID:
            u = r.random()
            if u < 0.4:
                bad = f"{day.year}-13-{1 + int(r.random() * 28):02d}"
            elif u < 0.7:
                bad = f"{day.year}-{day.month:02d}-{32 + int(r.random() * 14)}"
            elif u < 0.85:
                bad = f"{day.year}-02-30"
            else:
                bad = f"{day.year}-00-{day.day:02d}"
            return f" date {bad} "
        hour = 9 + int(r.random() * 6)
        minute = int(r.random() * 60)
        second = int(r.random() * 60)
        if form == _H_RFC:
            offset = _RFC_OFFSETS[int(r.random() * len(_RFC_OFFSETS))]
            weekday = _WEEKDAYS[day.weekday()]
            month = _MONTHS[day.month - 1][:3]
            return (
                f"Date: {weekday}, {day.day:02d} {month} {day.year} "
                f"{hour:02d}:{minute:02d}:{second:02d} {offset}\n"
            )
        if form == _H_ISO:
            offset = _RFC_OFFSETS[int(r.random() * len(_RFC_OFFSETS))]
            zone = "Z" if r.random() < 0.5 else f"{offset[:3]}:{offset[3:]}"
            return f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}{zone}\n"
        if form == _H_PUB:
            return f"Published: {_MONTHS[day.month - 1]} {day.day}, {day.year}\n"
        if form == _H_REUTERS:
            hour = int(r.random() * 24)
            centis = int(r.random() * 100)
            month = _MONTHS[day.month - 1][:3].upper()
            return (
                f"{day.day:02d}-{month}-{day.year} "
                f"{hour:02d}:{minute:02d}:{second:02d}.{centis:02d}\n"
            )
        if form == _H_DOTTED:
            return f"{day.day:02d}.{day.month:02d}.{day.year}\n"
        return f"{day.year}/{day.month:02d}/{day.day:02d}\n"

    # -- files --------------------------------------------------------------------------------

    def _bad(self, r: random.Random, reason: int) -> bytes:
        if reason == 0:
            return b""
        size = 256 + int(r.random() * 4096)
        if reason == 1:
            data = bytearray(r.getrandbits(8 * size).to_bytes(size, "little"))
            step = 3 + int(r.random() * 14)
            data[::step] = bytes(len(range(0, size, step)))
            return bytes(data)
        if reason == 2:
            text = " ".join(self._word(r) for _ in range(size // 6)).encode("ascii", "replace")
            raw = bytearray(b"\x80" + text)
            for _ in range(1 + size // 64):
                raw[int(r.random() * len(raw))] = 0x80 + int(r.random() * 0x7F)
            return bytes(raw) + b"\xc3\x28"
        story = self.story(int(r.random() * self.config.count))
        packed = gzip.compress(story.body.encode("utf-8"), compresslevel=6, mtime=0)
        return packed[: max(12, len(packed) // 2)]

    def content(self, index: int) -> bytes:
        """The exact bytes of file ``index`` as written to disk."""
        plan = self.plan
        kind = int(plan.kind[index])
        r = _rng(self.config.seed, index, _P_FILE)
        if kind == _BAD:
            return self._bad(r, int(plan.reason[index]))
        day = dt.date.fromordinal(self.start + int(plan.day[index]))
        if kind == _ORIGINAL:
            body = self.story(index).body
        elif kind == _TEMPLATE:
            body = plan.template_bodies[int(plan.template[index])]
        else:
            story = self.story(int(plan.original[index]))
            if kind == _EXACT:
                body = story.body
                u = r.random()
                if u < 0.25:
                    body += "\n"
                elif u < 0.35:
                    body += "\n\n"
            elif kind == _NEAR:
                body = self._near(r, story, day.year)
            else:
                _, body = self._compose(
                    r, story.slots, keep=story.templates, reuse=self.config.story_reuse
                )
        data = (self._header(r, int(plan.header[index]), day) + body).encode("utf-8")
        if plan.gz[index]:
            return gzip.compress(data, compresslevel=6, mtime=0)
        return data


# --------------------------------------------------------------------------------------------
# Global plan.
# --------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """Per-index arrays deciding what each file is; built once, vectorised."""

    kind: np.ndarray
    original: np.ndarray
    day: np.ndarray
    header: np.ndarray
    gz: np.ndarray
    reason: np.ndarray
    template: np.ndarray
    template_bodies: list[str]
    digits: int


def _kind_counts(config: CorpusConfig) -> dict[int, int]:
    n = config.count
    counts = {
        _EXACT: round(n * config.exact_rate),
        _NEAR: round(n * config.near_rate),
        _STORY: round(n * config.story_rate),
        _TEMPLATE: round(n * config.template_rate),
        _BAD: round(n * config.bad_rate),
    }
    counts[_ORIGINAL] = n - sum(counts.values())
    if counts[_ORIGINAL] < 1:
        raise ValueError("count too small for the requested rates: no originals left")
    return counts


def _sample_days(rng: np.random.Generator, config: CorpusConfig, size: int) -> np.ndarray:
    start = dt.date.fromisoformat(config.start_date)
    weekdays = (np.arange(config.days) + start.weekday()) % 7
    weights = np.where(weekdays >= 5, 0.55, 1.0)
    cum = np.cumsum(weights)
    days = np.searchsorted(cum / cum[-1], rng.random(size), side="right")
    return np.minimum(days, config.days - 1)


def _build_plan(config: CorpusConfig, language: _Language) -> _Plan:
    n = config.count
    rng = np.random.Generator(np.random.PCG64([config.seed, 0x91A7]))
    counts = _kind_counts(config)
    kind = np.repeat(np.array(sorted(counts), dtype=np.int8), [counts[k] for k in sorted(counts)])[
        rng.permutation(n)
    ]

    originals = np.flatnonzero(kind == _ORIGINAL)
    original = np.full(n, -1, dtype=np.int64)
    dups = np.flatnonzero((kind == _EXACT) | (kind == _NEAR) | (kind == _STORY))
    before = np.searchsorted(originals, dups)
    span = np.where(before > 0, before, len(originals))
    original[dups] = originals[(rng.random(len(dups)) * span).astype(np.int64)]

    day = _sample_days(rng, config, n).astype(np.int32)
    u = rng.random(n)
    delta = np.zeros(n, dtype=np.int32)
    delta[kind == _EXACT] = (u[kind == _EXACT] >= 0.8).astype(np.int32)
    delta[kind == _NEAR] = (u[kind == _NEAR] * 4).astype(np.int32)
    delta[kind == _STORY] = (u[kind == _STORY] * 3).astype(np.int32)
    day[dups] = day[original[dups]] + delta[dups]

    valid = np.array(_VALID_FORM_WEIGHTS) / sum(_VALID_FORM_WEIGHTS)
    valid *= 1.0 - config.no_header_rate - config.invalid_header_rate
    probs = np.concatenate([valid, [config.no_header_rate, config.invalid_header_rate]])
    header = np.searchsorted(np.cumsum(probs) / probs.sum(), rng.random(n), side="right")
    header = np.minimum(header, len(HEADER_FORMS) - 1).astype(np.int8)
    header[kind == _BAD] = -1

    gz = (rng.random(n) < config.gz_rate) & (kind != _BAD)
    reason = np.full(n, -1, dtype=np.int8)
    bad = np.flatnonzero(kind == _BAD)
    reason[bad] = (np.arange(len(bad)) % len(BAD_REASONS))[rng.permutation(len(bad))]
    gz[bad[reason[bad] == BAD_REASONS.index("truncated_gz")]] = True

    template = np.full(n, -1, dtype=np.int32)
    templated = np.flatnonzero(kind == _TEMPLATE)
    template[templated] = np.arange(len(templated), dtype=np.int32)
    start = dt.date.fromisoformat(config.start_date).toordinal()
    bodies = _template_bodies(config, language, [start + int(d) for d in day[templated]])
    digits = max(7, len(str(n - 1)))
    return _Plan(kind, original, day, header, gz, reason, template, bodies, digits)


def _template_bodies(config: CorpusConfig, language: _Language, ordinals: list[int]) -> list[str]:
    """Reuters-style earnings and dividend notices whose figure lines are all distinct."""
    r = _rng(config.seed, 0, _P_TEMPLATE)
    seen: set[str] = set()
    bodies = []
    for ordinal in ordinals:
        day = dt.date.fromordinal(ordinal)
        for _ in range(10_000):
            if r.random() < 0.5:
                headline, figures = _earnings(r)
            else:
                headline, figures = _dividend(r, day)
            if figures not in seen:
                break
        else:
            raise RuntimeError("could not draw distinct template figures; lower template_rate")
        seen.add(figures)
        name, ticker = language.companies[int(r.random() * len(language.companies))]
        city = language.places[int(r.random() * len(language.places))]
        month = _MONTHS[day.month - 1][:3]
        bodies.append(
            f"{name} <{ticker}> {headline}\n{city.upper()}, {month} {day.day} - "
            f"{figures}\n Reuter\n&#3;"
        )
    return bodies


def _cents(r: random.Random, top: int) -> str:
    value = 1 + int(r.random() * top)
    return f"{value} cts" if value < 100 else f"{value / 100:.2f} dlrs"


def _earnings(r: random.Random) -> tuple[str, str]:
    quarter = _QUARTERS[int(r.random() * 4)]
    lines = []
    blocks = ["", "Year"] if quarter == "4TH" and r.random() < 0.6 else [""]
    for block in blocks:
        if block:
            lines.append(block)
        loss = r.random() < 0.15
        shr = f"Shr {'loss ' if loss else ''}{_cents(r, 250)} vs {_cents(r, 250)}"
        net_now = 50 + int(r.random() * 99_950)
        net_before = max(1, round(net_now * (0.5 + r.random())))
        revs_now = 1.0 + r.random() * 900.0
        revs_before = revs_now * (0.7 + 0.5 * r.random())
        lines += [
            shr,
            f"Net {'loss ' if loss else ''}{net_now * 1000:,} vs {net_before * 1000:,}",
            f"Revs {revs_now:.1f} mln vs {revs_before:.1f} mln",
        ]
        if r.random() < 0.3:
            lines.append(f"Avg shrs {(1 + int(r.random() * 50_000)) * 1000:,}")
    return f"{quarter} QTR NET", "\n    ".join(lines)


def _dividend(r: random.Random, day: dt.date) -> tuple[str, str]:
    amount = 1 + int(r.random() * 150)
    prior = amount if r.random() < 0.7 else max(1, amount - 1 - int(r.random() * 10))
    pay = day + dt.timedelta(days=14 + int(r.random() * 50))
    record = pay - dt.timedelta(days=7 + int(r.random() * 15))
    period = "Qtly" if r.random() < 0.85 else "Semi-annual"
    headline = "SETS QUARTERLY DIVIDEND" if period == "Qtly" else "SETS SEMI-ANNUAL DIVIDEND"
    if amount > prior:
        headline = "RAISES DIVIDEND"
    lines = [
        f"{period} div {amount} cts vs {prior} cts prior",
        f"Pay {_MONTHS[pay.month - 1]} {pay.day}",
        f"Record {_MONTHS[record.month - 1]} {record.day}",
    ]
    return headline, "\n    ".join(lines)


# --------------------------------------------------------------------------------------------
# Paths, truth and the driver.
# --------------------------------------------------------------------------------------------


def _rel_path(config: CorpusConfig, plan: _Plan, index: int) -> str:
    tag = xxhash.xxh3_64_intdigest(struct.pack("<Q", index), seed=config.seed)
    suffix = ".txt.gz" if plan.gz[index] else ".txt"
    return f"{index // config.per_folder:04d}/{index:0{plan.digits}d}_{tag:016x}{suffix}"


def _truth_row(config: CorpusConfig, plan: _Plan, index: int, path: str) -> dict:
    kind = int(plan.kind[index])
    row: dict = {"path": path, "kind": KINDS[kind]}
    if kind in (_EXACT, _NEAR, _STORY):
        row["original"] = _rel_path(config, plan, int(plan.original[index]))
    header = int(plan.header[index])
    if kind == _BAD or header in (_H_NONE, _H_INVALID):
        row["date"] = None
    else:
        ordinal = dt.date.fromisoformat(config.start_date).toordinal() + int(plan.day[index])
        row["date"] = dt.date.fromordinal(ordinal).isoformat()
    row["header"] = None if kind == _BAD else HEADER_FORMS[header]
    if kind == _BAD:
        row["reason"] = BAD_REASONS[int(plan.reason[index])]
    return row


_WORKER: dict = {}


def _init_worker(config: CorpusConfig, plan: _Plan, language: _Language, out: str) -> None:
    _WORKER["writer"] = _Writer(config, plan, language)
    _WORKER["out"] = out


def _write_folder(folder: int) -> tuple[bytes, int]:
    """Write one folder's files; return its truth rows (JSON list body) and bytes written."""
    writer: _Writer = _WORKER["writer"]
    out: str = _WORKER["out"]
    config = writer.config
    first = folder * config.per_folder
    last = min(config.count, first + config.per_folder)
    os.makedirs(os.path.join(out, f"{folder:04d}"), exist_ok=True)
    rows = []
    written = 0
    for index in range(first, last):
        path = _rel_path(config, writer.plan, index)
        data = writer.content(index)
        with open(os.path.join(out, path), "wb") as handle:
            handle.write(data)
        written += len(data)
        rows.append(_truth_row(config, writer.plan, index, path))
    return orjson.dumps(rows)[1:-1], written


def _summary(config: CorpusConfig, plan: _Plan, written: int) -> dict:
    def tally(values: np.ndarray, names: Sequence[str]) -> dict[str, int]:
        counts = np.bincount(values[values >= 0].astype(np.int64), minlength=len(names))
        return {name: int(c) for name, c in zip(names, counts, strict=True)}

    return {
        "files": config.count,
        "kind": tally(plan.kind, KINDS),
        "header": tally(plan.header, HEADER_FORMS),
        "bad_reason": tally(plan.reason, BAD_REASONS),
        "gz": int(plan.gz.sum()),
        "bytes": written,
    }


def generate_corpus(config: CorpusConfig, out: str, workers: int = 0) -> dict:
    """Write the corpus of ``config`` under ``out`` and its ``_truth.json``.

    Args:
        config: What to generate.
        out: Output directory; created if missing, must not already hold files.
        workers: Processes writing folders; ``0`` means one per CPU. The output does not
            depend on it.

    Returns:
        The ``counts`` summary that is also stored in the truth file.

    Raises:
        FileExistsError: ``out`` exists and is not empty.
    """
    if os.path.isdir(out) and os.listdir(out):
        raise FileExistsError(f"output directory is not empty: {out}")
    os.makedirs(out, exist_ok=True)
    language = _Language(config)
    plan = _build_plan(config, language)
    folders = range((config.count + config.per_folder - 1) // config.per_folder)
    workers = workers or os.cpu_count() or 1
    workers = min(workers, len(folders))
    init_args = (config, plan, language, out)
    if workers == 1:
        _init_worker(*init_args)
        results = [_write_folder(f) for f in folders]
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with context.Pool(workers, initializer=_init_worker, initargs=init_args) as pool:
            results = list(pool.imap(_write_folder, folders, chunksize=1))
    written = sum(size for _, size in results)
    counts = _summary(config, plan, written)
    params = asdict(config)
    params["near_jaccard"] = list(config.near_jaccard)
    head = orjson.dumps({"format": TRUTH_FORMAT, "params": params, "counts": counts})
    with open(os.path.join(out, TRUTH_NAME), "wb") as handle:
        handle.write(head[:-1] + b',"files":[')
        handle.write(b",".join(rows for rows, _ in results if rows))
        handle.write(b"]}")
    return counts


def strip_header(text: str, header: str | None) -> str:
    """Remove the date header from a decoded article file.

    Args:
        text: The decoded file content.
        header: The file's header form as listed in the truth file. Inline forms (``inline``,
            ``invalid``) are `` date VALUE `` before the body on the first line; the other forms
            take the whole first line; ``none`` (or ``None``, bad files) has no header.

    Returns:
        The body that follows the header.
    """
    if header in (None, "none"):
        return text
    if header in ("inline", "invalid"):
        return text[len(" date ") :].split(" ", 1)[1]
    return text.split("\n", 1)[1]


def _parser() -> argparse.ArgumentParser:
    defaults = CorpusConfig(count=1)
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate_corpus",
        description="Write a seeded benchmark corpus of raw article files plus _truth.json.",
    )
    parser.add_argument("--count", type=int, required=True, help="number of files")
    parser.add_argument("--out", required=True, help="output directory (new or empty)")
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="seed, 0 <= S < 2**64 (default %(default)s)"
    )
    parser.add_argument("--workers", type=int, default=0, help="processes (default: CPU count)")
    floats = (
        ("exact_rate", "share of exact copies"),
        ("near_rate", "share of near-duplicates"),
        ("story_rate", "share of same-story rewrites"),
        ("template_rate", "share of templated earnings/dividend notices"),
        ("bad_rate", "share of bad files"),
        ("gz_rate", "share of gzip-compressed readable files"),
        ("no_header_rate", "share of files without a date header"),
        ("invalid_header_rate", "share of files with an impossible header date"),
        ("story_reuse", "share of a rewrite's sentences kept from its original"),
    )
    for name, text in floats:
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=float,
            default=getattr(defaults, name),
            help=f"{text} (default %(default)s)",
        )
    ints = (
        ("days", "days the publication dates spread over"),
        ("per_folder", "files per sub-folder"),
        ("vocab_size", "pseudo-vocabulary size"),
        ("sentence_pool", "precomputed sentence templates"),
        ("min_words", "shortest original story in words"),
        ("max_words", "longest original story in words"),
    )
    for name, text in ints:
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=int,
            default=getattr(defaults, name),
            help=f"{text} (default %(default)s)",
        )
    parser.add_argument(
        "--start-date", default=defaults.start_date, help="first date (default %(default)s)"
    )
    parser.add_argument(
        "--near-jaccard",
        type=float,
        nargs=2,
        default=defaults.near_jaccard,
        metavar=("LOW", "HIGH"),
        help="targeted 5-word-shingle Jaccard of near-duplicates (default %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point.

    Args:
        argv: Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns:
        The process exit status: 0 on success, 2 on invalid settings or a non-empty output.
    """
    args = _parser().parse_args(argv)
    options = vars(args)
    out = options.pop("out")
    workers = options.pop("workers")
    quiet = options.pop("quiet")
    options["near_jaccard"] = tuple(options["near_jaccard"])
    try:
        config = CorpusConfig(**options)
        started = time.perf_counter()
        counts = generate_corpus(config, out, workers)
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    if not quiet:
        rate = config.count / elapsed if elapsed else float("inf")
        print(orjson.dumps(counts).decode(), file=sys.stderr)
        print(
            f"wrote {config.count} files ({counts['bytes'] / 1e6:.1f} MB) to {out} "
            f"in {elapsed:.1f}s ({rate:,.0f} files/s)",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
