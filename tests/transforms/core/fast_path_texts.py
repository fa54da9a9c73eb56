"""Texts on which the story tier's fast paths are compared with their references.

Multilingual sentences, the bundled sample articles, seeded random text built to hit
the edge cases (sentence ends, white space, line breaks, capitals, mixed scripts) and,
when ``../shared/corpora`` is present, a spread of Reuters and SemEval articles in
every language of the training subset.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.conftest import CORPORA_DIR, SAMPLE_DIR
from tests.transforms.core.test_story_text import SENTENCES

_ALPHABET = (
    "abcxyzABCXYZäöüßéçñ İıĞ абвгдАБВ ابتة 中文字新闻 ひらがな カタカナ ไทย 0123456789"
    ".,!?;:\"«»„“”。！？-'()  \t\n\n\u00a0\u2028"
)
_CORPUS_STRIDE = 37
_RANDOM_TEXTS = 600


def random_texts(seed: int = 20261203, count: int = _RANDOM_TEXTS) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 400))) for _ in range(count)
    ]


def corpus_texts() -> list[str]:
    """Every ``_CORPUS_STRIDE``-th Reuters body and SemEval text (empty without corpora)."""
    from bench.corpora import load_reuters, load_semeval

    texts: list[str] = []
    reuters = CORPORA_DIR / "reuters21578"
    if reuters.is_dir():
        texts += [story.body for story in load_reuters(reuters)[::_CORPUS_STRIDE]]
    semeval = CORPORA_DIR / "semeval2022-task8" / "training_set.csv"
    if semeval.is_file():
        rows = load_semeval(semeval)[::_CORPUS_STRIDE]
        texts += [text for row in rows for text in (row.text1, row.text2)]
    return texts


def sample_texts() -> list[str]:
    files = sorted(path for path in Path(SAMPLE_DIR).rglob("*") if path.is_file())
    return [path.read_text(encoding="utf-8", errors="replace") for path in files]


def all_texts() -> list[str]:
    return [*SENTENCES.values(), *sample_texts(), *random_texts(), *corpus_texts()]
