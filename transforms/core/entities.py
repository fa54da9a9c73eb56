"""Named-entity evidence of the ``story`` tier, from original-case text (Beam-free).

One regex pass per document (:data:`STREAM_RE`) yields the product's tokens (the
ones :func:`transforms.core.tokens.tokenize` gives, in original case) interleaved
with sentence marks, line breaks and possessive ``'s``; :func:`scan_entry`
classifies each distinct token once; :func:`extract` derives every entity column
of a batch from the token stream with array operations. The rules, in stream terms:

* **Lines.** A line is a *caps line* when it has at least 8 letters of which more
  than 80 % are capitals (wire headlines), or when it is a Title Case heading: it
  is followed by a line without tokens (or ends the text), has at least 3 words of
  >= 4 letters of which >= 70 % are capitalised, is shorter than 90 characters and
  its last token is not ``.``. Words of caps lines carry no case information.
* **Sentences.** A word is *sentence-initial* when the previous element of its
  document is a sentence mark (``.!?:;`` and quotes), a line break after a line
  shorter than 50 characters, or nothing. Initials (a single capital A-Z followed
  by ``.``: "U.S.", "Sergei E. Naryshkin") and possessive ``'s`` are skipped.
* **Entity words.** Capitalised, >= 2 letters, casefold not in :data:`ENTITY_STOP`
  nor the story stop words, not on a caps line, and either not sentence-initial or
  written the same way non-initially elsewhere in the document.
* **Entity terms.** Each entity word (weight class 2, or 3 when >= 8 letters);
  each 2- and 3-word run of consecutive entity words and each acronym (2-6
  capitals) as a *name* (weight class 4). Term hashes are 32-bit with the weight
  class in the low 4 bits, as the story terms of :mod:`transforms.core.similarity`.
* **Lead entities.** Entity words among the first ``lead_words`` words (numbers
  count as words).
* **Key entities.** The ``key_size`` entity terms mentioned most often (ties:
  earlier first mention, then hash), among those mentioned at least twice, plus the
  first ``subject_size`` distinct entity words.

Everything is a pure function of the document: hashes are seeded xxhash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import xxhash

from newsingest.transforms.core.tokens import (
    _NO_SPACE_SCRIPTS,
    ASCII_WORD_PATTERN,
    NUMBER_PATTERN,
    WORD_CONTINUE,
    WORD_PATTERN,
    TokenPattern,
)

__all__ = [
    "ENTITY_STOP",
    "SEPARATOR",
    "STREAM_RE",
    "EntityColumns",
    "casefold_safe",
    "is_caseless",
    "scan_entry",
    "extract",
]

# Capitalised words that carry no story identity: calendar words, agencies,
# corporate suffixes and frequent capitalised function words. Fixed in code.
ENTITY_STOP = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december jan feb mar apr jun jul aug
    sep sept oct nov dec montag dienstag mittwoch donnerstag freitag samstag sonntag januar
    februar märz juni juli oktober dezember lunes martes miércoles jueves viernes sábado
    domingo enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre
    diciembre lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars avril
    juin juillet août septembre octobre novembre décembre lunedì martedì mercoledì giovedì
    venerdì sabato domenica gennaio febbraio aprile maggio giugno luglio agosto settembre
    ottobre dicembre poniedziałek wtorek środa czwartek piątek sobota niedziela styczeń luty
    marzec kwiecień maj czerwiec lipiec sierpień wrzesień październik listopad grudzień
    reuter reuters afp ap dpa efe ansa pap tass xinhua
    the this that these those there their they then than when what where which while who
    why how and but for with from into onto upon about after before also its his her our
    you your mr mrs ms dr inc corp co ltd plc llc sa ag nv bv gmbh spa ceo cfo
    said says told according new one two three four five first second third last next
    a an as at by if in is it of on or so to up we he she no not all any are was has had
    le la les el los las lo il der die das den dem des ein eine im am zu en un une du de di
    da del dei y e o w z na i je ve bu ha
    """.split()  # noqa: SIM905
)

_MARKS = '.!?:;"«»„“”'
# The product's token classes (tokens.py), plus marks, line breaks and possessive 's.
# The extra alternatives only match characters no product token starts with, so the
# non-mark tokens are exactly tokenize()'s tokens before casefolding.
# The alternatives start with disjoint characters, so their order only affects speed.
# ``SEPARATOR`` joins the texts of a batch for one pass; it is never a product token.
SEPARATOR = "\x00"
STREAM_RE = TokenPattern(
    rf"{WORD_PATTERN}|{NUMBER_PATTERN}|[{_MARKS}\n{SEPARATOR}]"
    rf"|[{_NO_SPACE_SCRIPTS}]|['’]s(?!{WORD_CONTINUE})",
    rf"{ASCII_WORD_PATTERN}|{NUMBER_PATTERN}|[{_MARKS}\n{SEPARATOR}]|'s(?![A-Za-z])",
)
_NO_SPACE_RE = re.compile(rf"[{_NO_SPACE_SCRIPTS}]")
_CASELESS_RE = re.compile(r"[\u0600-\u06ff\u0e00-\u0eff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")

WORD, NUMBER, CHAR, MARK, NEWLINE, POSSESSIVE, SEPARATED = range(7)
DOT, CAP, CANDIDATE, ACRONYM, INITIAL = 1, 2, 4, 8, 16
_ENT_SEED = 0xE7
_PART_SEED = 0xE8
_NAME_WEIGHT = 4
_MIX = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
)
_CAPS_MIN_LETTERS, _CAPS_FRACTION = 8, 0.8
_HEADING_MIN_WORDS, _HEADING_FRACTION, _HEADING_MAX_CHARS = 3, 0.7, 90
_SHORT_LINE = 50


def _char_class(char: str) -> str:
    if re.fullmatch(rf"[{_NO_SPACE_SCRIPTS}]", char):
        return "N"
    if re.fullmatch(r"\d", char):
        return "D"
    if re.fullmatch(r"[^\W\d_]", char):
        return "W"
    return char if char in ".," else "O"


def _unsafe_pattern() -> re.Pattern:
    """Characters whose casefold changes a token boundary of the product regex."""
    unsafe = []
    for code in range(0x1F000):
        char = chr(code)
        folded = char.casefold()
        if folded == char:
            continue
        cls = _char_class(char)
        if any(_char_class(c) != cls for c in folded) or (cls == "N" and len(folded) != 1):
            unsafe.append(re.escape(char))
    return re.compile("[" + "".join(unsafe) + "]") if unsafe else re.compile(r"(?!)")


_UNSAFE_RE = _unsafe_pattern()


def casefold_safe(text: str) -> bool:
    """Whether the casefolded stream tokens of ``text`` are ``tokenize(text)``."""
    return text.isascii() or _UNSAFE_RE.search(text) is None


def is_caseless(text: str) -> bool:
    """Mostly a script without letter case (Arabic, Thai, Kana, Han): > 40 of the
    first 400 characters."""
    return not text.isascii() and len(_CASELESS_RE.findall(text, 0, 400)) > 40


def scan_entry(token: str, stop_words: frozenset[str]) -> tuple[int, ...]:
    """(type, flags, letters, capitals, entity hash, name part, acronym hash) of a token.

    The hashes are 0 unless the word is an entity candidate (the acronym hash: an
    acronym candidate).
    """
    if len(token) == 1:
        if token == "\n":
            return NEWLINE, 0, 0, 0, 0, 0, 0
        if token == SEPARATOR:
            return SEPARATED, 0, 0, 0, 0, 0, 0
        if token in _MARKS:
            return MARK, DOT if token == "." else 0, 0, 0, 0, 0, 0
        if _NO_SPACE_RE.match(token):
            return CHAR, 0, 1, 0, 0, 0, 0
    first = token[0]
    if first in "'’":
        return POSSESSIVE, 0, 0, 0, 0, 0, 0
    if first.isdigit():
        return NUMBER, 0, 0, 0, 0, 0, 0
    if not first.isupper():
        return WORD, 0, len(token), sum(map(str.isupper, token)), 0, 0, 0
    flags = CAP
    if len(token) == 1:
        return WORD, CAP | INITIAL if "A" <= token <= "Z" else CAP, 1, 1, 0, 0, 0
    capitals = sum(map(str.isupper, token))
    folded = token.casefold()
    if folded in ENTITY_STOP or folded in stop_words:
        return (
            WORD,
            flags | (ACRONYM if token.isupper() and len(token) <= 6 else 0),
            len(token),
            capitals,
            0,
            0,
            0,
        )
    flags |= CANDIDATE
    data = folded.encode("utf-8")
    weight = 3 if len(folded) >= 8 else 2
    entity = (xxhash.xxh32_intdigest(data, seed=_ENT_SEED) & ~0xF) | weight
    part = xxhash.xxh3_64_intdigest(data, seed=_PART_SEED)
    acronym = 0
    if token.isupper() and len(token) <= 6:
        flags |= ACRONYM
        mixed = (part * int(_MIX[2])) & 0xFFFFFFFFFFFFFFFF
        mixed ^= mixed >> 32
        acronym = (mixed & 0xFFFFFFF0) | _NAME_WEIGHT
    return WORD, flags, len(token), capitals, entity, part, acronym


def _name_hash(mixed: np.ndarray) -> np.ndarray:
    mixed = mixed ^ (mixed >> np.uint64(32))
    return (mixed & np.uint64(0xFFFFFFF0)).astype(np.uint32) | np.uint32(_NAME_WEIGHT)


@dataclass
class EntityColumns:
    """Per-document entity columns of a batch: flat values plus offsets ``(docs + 1,)``.

    ``entities`` (bottom-k), ``lead`` (bottom-k) and ``key`` are sorted per document;
    ``entity_counts`` are distinct entity terms before sampling.
    """

    entities: np.ndarray
    entity_offsets: np.ndarray
    entity_counts: np.ndarray
    lead: np.ndarray
    lead_offsets: np.ndarray
    key: np.ndarray
    key_offsets: np.ndarray


def extract(
    owner: np.ndarray,
    token_ids: np.ndarray,
    columns: dict[str, np.ndarray],
    line_lengths: np.ndarray,
    line_counts: np.ndarray,
    docs: int,
    *,
    lead_words: int,
    key_size: int,
    subject_size: int,
    max_entities: int,
    max_lead: int,
    bottom_k,
) -> EntityColumns:
    """Entity columns of a batch from its stream tokens (see the module rules).

    Args:
        owner: document of each stream token (non-decreasing).
        token_ids: row of each stream token in ``columns`` (equal tokens, equal rows).
        columns: per-row ``type``, ``flags``, ``letters``, ``capitals``, ``entity``,
            ``part`` and ``acronym`` (the fields of :func:`scan_entry`).
        line_lengths: characters of every line of every document, documents in order.
        line_counts: lines per document (``text.count("\\n") + 1``).
        bottom_k: ``(doc_ids, values, docs, k) -> (values, offsets, distinct counts)``.
    """
    types = columns["type"][token_ids]
    flags = columns["flags"][token_ids]
    # Skip possessives and initials (a capital A-Z directly followed by ".").
    initial = np.zeros(len(owner), dtype=bool)
    initial[:-1] = (
        ((flags[:-1] & INITIAL) != 0) & ((flags[1:] & DOT) != 0) & (owner[:-1] == owner[1:])
    )
    skip = initial | (types == POSSESSIVE)
    skip[1:] |= initial[:-1]
    if skip.any():
        keep = ~skip
        owner, types, flags, token_ids = owner[keep], types[keep], flags[keep], token_ids[keep]
    n = len(owner)
    same_next = np.zeros(n, dtype=bool)
    same_next[:-1] = owner[:-1] == owner[1:]
    starts = np.searchsorted(owner, np.arange(docs + 1))

    # Lines: global line id of every token (a line break belongs to the line it ends).
    newline = types == NEWLINE
    line_base = np.concatenate(([0], np.cumsum(line_counts)))
    breaks = np.concatenate(([0], np.cumsum(newline)))
    line = line_base[:-1][owner] + breaks[:-1] - breaks[starts[:-1]][owner]
    total_lines = int(line_base[-1])
    word_at = np.flatnonzero((types == WORD) | (types == CHAR))
    word_line, word_ids = line[word_at], token_ids[word_at]
    line_letters = np.bincount(
        word_line, weights=columns["letters"][word_ids], minlength=total_lines
    )
    line_capitals = np.bincount(
        word_line, weights=columns["capitals"][word_ids], minlength=total_lines
    )
    long_word = (types[word_at] == WORD) & (columns["letters"][word_ids] >= 4)
    line_long = np.bincount(word_line[long_word], minlength=total_lines)
    capitalised = (flags & CAP) != 0
    line_long_cap = np.bincount(word_line[long_word & capitalised[word_at]], minlength=total_lines)
    text_at = np.flatnonzero(~newline)
    text_line = line[text_at]
    line_tokens = np.bincount(text_line, minlength=total_lines)
    last = text_at[np.flatnonzero(np.diff(np.append(text_line, -1)) != 0)]
    ends_dot = np.zeros(total_lines, dtype=bool)
    ends_dot[line[last]] = (flags[last] & DOT) != 0
    followed_by_break = np.zeros(total_lines, dtype=bool)
    followed_by_break[:-1] = line_tokens[1:] == 0
    followed_by_break[line_base[1:] - 1] = True
    heading = (
        followed_by_break
        & (line_long >= _HEADING_MIN_WORDS)
        & (line_lengths < _HEADING_MAX_CHARS)
        & ~ends_dot
        & (line_long_cap >= _HEADING_FRACTION * line_long)
    )
    caps_line = (
        (line_letters >= _CAPS_MIN_LETTERS) & (line_capitals > _CAPS_FRACTION * line_letters)
    ) | heading

    # Sentence-initial words: the previous element sets (mark, break after a short line).
    sets = types == MARK
    sets[newline] = line_lengths[line[newline]] < _SHORT_LINE
    counts_as_word = ~newline & ~(types == MARK)
    decisive = sets | counts_as_word
    latest = np.maximum.accumulate(np.where(decisive, np.arange(n), -1)) if n else owner
    previous = np.full(n, -1)
    previous[1:] = latest[:-1]
    initial_word = (previous < starts[:-1][owner]) | sets[np.maximum(previous, 0)]

    cap_word = (types == WORD) & capitalised & ~caps_line[line]
    candidate = cap_word & ((flags & CANDIDATE) != 0)
    doubtful = np.flatnonzero(candidate & initial_word)
    if len(doubtful):
        inside_at = np.flatnonzero(cap_word & ~initial_word)
        inside = np.sort((owner[inside_at] << 32) | token_ids[inside_at])
        wanted = (owner[doubtful] << 32) | token_ids[doubtful]
        found = np.minimum(np.searchsorted(inside, wanted), max(len(inside) - 1, 0))
        candidate[doubtful] = inside[found] == wanted if len(inside) else False
    entity = candidate

    words = np.concatenate(([0], np.cumsum(counts_as_word)))
    single_at = np.flatnonzero(entity)
    single_ids = token_ids[single_at]
    word_index = words[single_at + 1] - words[starts[:-1][owner[single_at]]]
    acronym_at = single_at[(flags[single_at] & ACRONYM) != 0]
    pair = entity[:-1] & entity[1:] & same_next[:-1]
    bigram_at = np.flatnonzero(pair)
    trigram_at = np.flatnonzero(pair[:-1] & pair[1:])
    parts = columns["part"]
    first, second = parts[token_ids[bigram_at]], parts[token_ids[bigram_at + 1]]
    bigrams = _name_hash(first * _MIX[0] + second * _MIX[1])
    trigrams = _name_hash(
        parts[token_ids[trigram_at]] * _MIX[0]
        + parts[token_ids[trigram_at + 1]] * _MIX[1]
        + parts[token_ids[trigram_at + 2]] * _MIX[2]
    )
    singles = columns["entity"][single_ids]
    at = np.concatenate((single_at, acronym_at, bigram_at, trigram_at))
    values = np.concatenate(
        (singles, columns["acronym"][token_ids[acronym_at]], bigrams, trigrams)
    ).astype(np.uint32)
    occurrence_doc = owner[at]
    entities, entity_offsets, entity_counts = bottom_k(occurrence_doc, values, docs, max_entities)

    in_lead = word_index <= lead_words
    lead, lead_offsets, _ = bottom_k(owner[single_at[in_lead]], singles[in_lead], docs, max_lead)

    # Key entities: per (doc, term) count and first position; rank within the doc.
    combined = (occurrence_doc.astype(np.uint64) << np.uint64(32)) | values.astype(np.uint64)
    order = np.lexsort((at, combined))
    combined_sorted = combined[order]
    fresh = np.ones(len(order), dtype=bool)
    fresh[1:] = combined_sorted[1:] != combined_sorted[:-1]
    group_start = np.flatnonzero(fresh)
    term_counts = np.diff(np.append(group_start, len(order)))
    term_key = combined_sorted[group_start]
    term_first = at[order][group_start]
    term_doc = (term_key >> np.uint64(32)).astype(np.int64)
    term_hash = (term_key & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    repeated = np.flatnonzero(term_counts >= 2)
    ranked = repeated[
        np.lexsort(
            (term_hash[repeated], term_first[repeated], -term_counts[repeated], term_doc[repeated])
        )
    ]
    picked = ranked[_rank_in_doc(term_doc[ranked]) < key_size]
    single_terms = (
        np.flatnonzero(np.logical_or.reduceat(order < len(single_at), group_start))
        if len(order)
        else np.zeros(0, dtype=np.int64)
    )
    subject = single_terms[np.lexsort((term_first[single_terms], term_doc[single_terms]))]
    subject = subject[_rank_in_doc(term_doc[subject]) < subject_size]
    chosen = np.concatenate((picked, subject))
    key, key_offsets, _ = bottom_k(
        term_doc[chosen], term_hash[chosen], docs, key_size + subject_size
    )
    return EntityColumns(
        entities=entities,
        entity_offsets=entity_offsets,
        entity_counts=entity_counts.astype(np.int64),
        lead=lead,
        lead_offsets=lead_offsets,
        key=key,
        key_offsets=key_offsets,
    )


def _rank_in_doc(doc_sorted: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each run of equal values of a sorted document id array."""
    if not len(doc_sorted):
        return doc_sorted
    fresh = np.ones(len(doc_sorted), dtype=bool)
    fresh[1:] = doc_sorted[1:] != doc_sorted[:-1]
    run_start = np.maximum.accumulate(np.where(fresh, np.arange(len(doc_sorted)), 0))
    return np.arange(len(doc_sorted)) - run_start
