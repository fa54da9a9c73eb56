"""A straightforward one-document-at-a-time reference for ``compute_features``.

The product computes features column-wise over a batch; tests check it gives
exactly these rows. Entity rules: :mod:`transforms.core.entities`, walked here
token by token with a sentence/line state machine.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from newsingest.transforms.core import entities
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_table import Features
from newsingest.transforms.core.minhash import signatures
from newsingest.transforms.core.profile_pool import PROFILE_CHARS
from newsingest.transforms.core.stop_words import STOP_WORDS
from newsingest.transforms.core.story_columns import empty_row, row_fields
from newsingest.transforms.core.story_signals import profile
from newsingest.transforms.core.tokens import _NO_SPACE_SCRIPTS, shingle_hashes, tokenize
from newsingest.transforms.core.vocabulary import (
    BIGRAM_MIX as _BIGRAM_MIX,
)
from newsingest.transforms.core.vocabulary import (
    CHAR_WEIGHT_CLASS as _CHAR_WEIGHT_CLASS,
)
from newsingest.transforms.core.vocabulary import (
    KIND_CHAR as _KIND_CHAR,
)
from newsingest.transforms.core.vocabulary import (
    KIND_NUMBER as _KIND_NUMBER,
)
from newsingest.transforms.core.vocabulary import (
    KIND_OTHER as _KIND_OTHER,
)
from newsingest.transforms.core.vocabulary import (
    KIND_TERM as _KIND_TERM,
)
from newsingest.transforms.core.vocabulary import (
    token_entry as _token_entry,
)

_MASK64 = (1 << 64) - 1
_MIX = [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9]


def _name(parts: list[int]) -> int:
    mixed = sum(p * m for p, m in zip(parts, _MIX, strict=False)) & _MASK64
    mixed ^= mixed >> 32
    return (mixed & 0xFFFFFFF0) | 4


def _kind(token: str) -> str:
    if token == "\n":
        return "newline"
    if token in '.!?:;"«»„“”':
        return "mark"
    if token[0] in "'’":
        return "possessive"
    if token[0].isdigit():
        return "number"
    if len(token) == 1 and token in _NO_SPACE_CHARS:
        return "char"
    return "word"


class _NoSpace:
    def __contains__(self, char: str) -> bool:
        import re

        return re.fullmatch(f"[{_NO_SPACE_SCRIPTS}]", char) is not None


_NO_SPACE_CHARS = _NoSpace()


def reference_entities(text: str, config: DedupConfig):
    """(entities, entity_count, lead, key) of one text, following the module rules."""
    raw = [t for t in entities.STREAM_RE.findall(text) if t != entities.SEPARATOR]
    tokens = []
    i = 0
    while i < len(raw):
        t = raw[i]
        if len(t) == 1 and "A" <= t <= "Z" and i + 1 < len(raw) and raw[i + 1] == ".":
            i += 2  # an initial
            continue
        if _kind(t) != "possessive":
            tokens.append(t)
        i += 1
    lines: list[list[tuple[int, str]]] = [[]]
    for position, t in enumerate(tokens):
        if t == "\n":
            lines.append([])
        else:
            lines[-1].append((position, t))
    line_chars = [len(line) for line in text.split("\n")]
    assert len(line_chars) == len(lines)

    def caps_line(k: int) -> bool:
        line = [t for _, t in lines[k]]
        words = [t for t in line if _kind(t) in ("word", "char")]
        letters = sum(len(t) if _kind(t) == "word" else 1 for t in words)
        capitals = sum(c.isupper() for t in words if _kind(t) == "word" for c in t)
        if letters >= 8 and capitals > 0.8 * letters:
            return True
        long_words = [t for t in line if _kind(t) == "word" and len(t) >= 4]
        followed_by_break = k + 1 == len(lines) or not lines[k + 1]
        return (
            followed_by_break
            and len(long_words) >= 3
            and line_chars[k] < 90
            and not (line and line[-1] == ".")
            and sum(t[0].isupper() for t in long_words) >= 0.7 * len(long_words)
        )

    # (position, token, sentence-initial, word index, on a caps line) or None (a break)
    elements: list[tuple | None] = []
    initial, words = True, 0
    for k, line in enumerate(lines):
        if k > 0 and line_chars[k - 1] < 50:
            initial = True
        caps = caps_line(k)
        for position, t in line:
            if _kind(t) == "mark":
                initial = True
                elements.append(None)
                continue
            words += 1
            elements.append((position, t, initial, words, caps, _kind(t)))
            initial = False
        elements.append(None)
    inside = {
        t
        for e in elements
        if e
        for _, t, ini, _, caps, kind in [e]
        if kind == "word" and not ini and not caps and t[0].isupper()
    }

    def is_entity(e) -> bool:
        if e is None:
            return False
        _, t, ini, _, caps, kind = e
        if kind != "word" or caps or not t[0].isupper() or len(t) < 2:
            return False
        folded = t.casefold()
        if folded in entities.ENTITY_STOP or folded in STOP_WORDS:
            return False
        return not ini or t in inside

    occurrences: list[tuple[int, int, bool]] = []  # (hash, position, single word)
    lead = set()
    run: list[tuple[int, int]] = []  # (position, name part)

    def flush() -> None:
        for size in (2, 3):
            for k in range(len(run) - size + 1):
                gram = run[k : k + size]
                occurrences.append((_name([p for _, p in gram]), gram[0][0], False))
        run.clear()

    for e in elements:
        if not is_entity(e):
            flush()
            continue
        position, t, _, index, _, _ = e
        _, _, _, _, single, part, acronym = entities.scan_entry(t, STOP_WORDS)
        occurrences.append((single, position, True))
        if t.isupper() and 2 <= len(t) <= 6:
            occurrences.append((acronym, position, False))
        if index <= config.story_lead_words:
            lead.add(single)
        run.append((position, part))
    flush()
    distinct = sorted({h for h, _, _ in occurrences})
    counts = Counter(h for h, _, _ in occurrences)
    first: dict[int, int] = {}
    for h, position, _ in occurrences:
        first[h] = min(first.get(h, position), position)
    repeated = sorted(
        (h for h in counts if counts[h] >= 2), key=lambda h: (-counts[h], first[h], h)
    )
    singles = sorted({h for h, _, single in occurrences if single}, key=first.__getitem__)
    key = set(repeated[: config.story_key_entities]) | set(singles[: config.story_subject_entities])
    as_array = lambda values: np.array(sorted(values), dtype=np.uint32)  # noqa: E731
    return (
        as_array(distinct[: config.story_max_entities]),
        len(distinct),
        as_array(sorted(lead)[: config.story_max_lead_entities]),
        as_array(key),
    )


def reference_features(
    texts: list[str], content_hashes: list[str], days: list[int | None], config: DedupConfig
) -> list[Features]:
    rows = []
    for text, content_hash, day in zip(texts, content_hashes, days, strict=True):
        entries = [_token_entry(token, config.min_term_len) for token in tokenize(text)]
        count = len(entries)
        hashes = np.array([e[0] for e in entries], dtype=np.uint64)
        kinds = np.array([e[1] for e in entries], dtype=np.int8)
        extra = np.array([e[2] for e in entries], dtype=np.uint32)
        [signature] = signatures(
            [shingle_hashes(hashes, config.ngram)], config.num_perm, config.seed
        )
        chars = [
            i for i in range(count - 1) if kinds[i] == _KIND_CHAR and kinds[i + 1] == _KIND_CHAR
        ]
        bigrams = []
        for i in chars:
            mixed = hashes[i : i + 1] * _BIGRAM_MIX[0] + hashes[i + 1 : i + 2] * _BIGRAM_MIX[1]
            mixed ^= mixed >> np.uint64(32)
            bigrams.append(int(mixed[0] & np.uint64(0xFFFFFFF0)) | _CHAR_WEIGHT_CLASS)
        terms = np.unique(np.array(list(extra[kinds == _KIND_TERM]) + bigrams, dtype=np.uint32))
        figures = np.unique(extra[kinds == _KIND_NUMBER])
        lead_kinds = kinds[: config.story_lead_figure_tokens]
        lead_figures = np.unique(
            extra[: config.story_lead_figure_tokens][lead_kinds == _KIND_NUMBER]
        )
        numbers = int((kinds == _KIND_NUMBER).sum())
        short = int((kinds == _KIND_OTHER).sum())
        template = bool(
            count
            and numbers >= config.template_number_fraction * count
            and numbers + short >= config.template_short_fraction * count
        )
        ents, entity_count, lead, key = reference_entities(text, config)
        rows.append(
            Features(
                content_hash=content_hash,
                published_days=day,
                signature=signature,
                terms=terms[: config.story_max_terms],
                term_count=len(terms),
                figures=figures[: config.max_figures],
                figure_count=len(figures),
                token_count=count,
                template=template,
                entities=ents,
                entity_count=entity_count,
                lead_entities=lead,
                key_entities=key,
                lead_figures=lead_figures[: config.max_figures],
                caseless=entities.is_caseless(text),
                **(
                    row_fields(profile(None, text[:PROFILE_CHARS], day))
                    if config.story_enabled
                    else empty_row()
                ),
            )
        )
    return rows
