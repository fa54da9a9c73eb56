"""Language-aware text analysis for the same-story tier (Beam-free, offline).

Everything here is a pure function of the text and of the installed resources, never
of a batch (what the resources do is part of the index's feature version:
:mod:`resource_fingerprint`):

* **Language** from ``py3langid`` (its model ships in the wheel), walked by numpy in
  :mod:`language_id` with identical results: :func:`detect_language`.
* **Tokens** with the ``regex`` module: runs of letters and marks (``\\p{L}\\p{M}``), number
  tokens (``1,234.5``: figures are never erased) and, for scripts written without spaces,
  ``jieba`` segmentation of Han text through ``wordfreq`` (Chinese) or character bigrams
  (Kana, Thai, Lao, Khmer, Myanmar and Han in other languages): :func:`tokenize`.
  Japanese and Korean get flat rarity (``wordfreq`` needs MeCab there).
* **Rarity** from ``wordfreq`` Zipf frequencies (log10 of occurrences per billion words,
  0 for unknown words), a stable multilingual source: :func:`rarity` is
  ``max(0, ZIPF_CEILING - zipf)``, an inverse-frequency weight that is the same for every
  article, run and worker.
* **Stop words**: the :data:`STOP_WORD_COUNT` most frequent words of the language in
  ``wordfreq``, derived, not typed in: :func:`stop_words`.
* **Lemmas** from ``simplemma`` for the languages it covers; the token itself elsewhere.

Languages ``wordfreq`` does not know get flat rarity (:data:`UNKNOWN_LANGUAGE_RARITY`)
and no stop words, so they still compare, only without rarity weighting.
"""

from __future__ import annotations

import functools
import logging
from typing import NamedTuple

import jieba
import regex
import simplemma
import wordfreq

from newsingest.transforms.core import language_id

__all__ = [
    "ANALYSIS_SETTINGS",
    "STOP_WORD_COUNT",
    "ZIPF_CEILING",
    "Token",
    "detect_language",
    "lemma",
    "rarity",
    "stop_words",
    "tokenize",
    "zipf",
]

ZIPF_CEILING = 8.0
STOP_WORD_COUNT = 150
UNKNOWN_LANGUAGE_RARITY = 4.0
_DETECT_CHARS = 2000
_CACHE = 1 << 18

# Japanese and Korean need MeCab in wordfreq, which is not a dependency: flat rarity there.
_NEEDS_MECAB = frozenset({"ja", "ko"})
_WORDFREQ_LANGUAGES = frozenset(wordfreq.available_languages()) - _NEEDS_MECAB
# simplemma's default keeps 8 language dictionaries; a multilingual stream needs more.
_LEMMATIZER = simplemma.Lemmatizer(
    lemmatization_strategy=simplemma.strategies.DefaultStrategy(
        dictionary_factory=simplemma.strategies.dictionaries.DefaultDictionaryFactory(
            cache_max_size=64
        )
    )
)
_SIMPLEMMA_LANGUAGES = frozenset(
    simplemma.strategies.dictionaries.dictionary_factory.SUPPORTED_LANGUAGES
)

# jieba sets its own logger to DEBUG when first imported (wordfreq imports it lazily):
# imported here first, then quieted, so loading its dictionary never writes to stderr.
jieba.setLogLevel(logging.WARNING)

_NO_SPACE = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
# Words are runs of letters and marks outside the no-space scripts: one set difference
# (regex V1), three times faster than a look-ahead per character.
_WORD_CHAR = rf"[[\p{{L}}\p{{M}}]--[{_NO_SPACE}]]"
_TOKEN_RE = regex.compile(
    rf"(?P<num>\p{{Nd}}+(?:[.,]\p{{Nd}}+)*)"
    rf"|(?P<cjk>[{_NO_SPACE}]+)"
    rf"|(?P<word>{_WORD_CHAR}+)",
    regex.V1,
)
# A word is sentence- or line-initial when one of these ends a sentence within the three
# characters before it, followed only by white space, or when a line break is among them.
_SENTENCE_END = regex.compile(r"[.!?;:\"«»„“”。！？]\s{0,2}")
_INITIAL_REACH = 3

# The constants of this module a trained model depends on (hashed into its version).
ANALYSIS_SETTINGS = {"zipf_ceiling": ZIPF_CEILING, "stop_word_count": STOP_WORD_COUNT}


class Token(NamedTuple):
    """One token of a text (a named tuple: cheap to build, one per word).

    Attributes:
        text: the token as written (original case).
        norm: its case-folded form, the key of every vector.
        kind: ``"word"``, ``"num"`` or ``"cjk"`` (a segment of a no-space script).
        start: character offset in the analysed text.
        initial: the word starts a sentence or a line (its capital says nothing).
    """

    text: str
    norm: str
    kind: str
    start: int
    initial: bool


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` by ``py3langid`` (bundled model); ``"und"`` when empty."""
    sample = text[:_DETECT_CHARS]
    if not any(char.isalpha() for char in sample):
        return "und"
    code, _score = language_id.classify(sample)
    return code


def _wordfreq_language(lang: str) -> str | None:
    return lang if lang in _WORDFREQ_LANGUAGES else None


def _segment(run: str, lang: str) -> list[str]:
    """Words of a no-space run: jieba (via wordfreq) for Chinese Han, else char bigrams."""
    if lang == "zh" and regex.fullmatch(r"\p{Han}+", run):
        return [piece for piece in wordfreq.tokenize(run, "zh") if piece]
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _initial_offsets(text: str) -> set[int]:
    """Offsets whose three preceding characters hold a sentence end followed only by
    white space, or a line break (one pass over the text, not one search per token)."""
    offsets: set[int] = set()
    for match in _SENTENCE_END.finditer(text):
        offsets.update(range(match.start() + 1, match.end() + 1))
    position = text.find("\n")
    while position >= 0:
        offsets.update(range(position + 1, position + 1 + _INITIAL_REACH))
        position = text.find("\n", position + 1)
    return offsets


def tokenize(text: str, lang: str) -> list[Token]:
    """Tokens of ``text`` in order; deterministic, Unicode-aware, numbers kept.

    Args:
        text: cleaned article text (title or body).
        lang: ISO 639-1 code from :func:`detect_language` (chooses segmentation).
    """
    initials = _initial_offsets(text)
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(text):
        start = match.start()
        initial = not tokens or start in initials
        kind = match.lastgroup
        value = match.group()
        if kind == "cjk":
            offset = start
            for piece in _segment(value, lang):
                tokens.append(Token(piece, piece.casefold(), "cjk", offset, initial))
                offset += len(piece)
                initial = False
            continue
        tokens.append(Token(value, value.casefold(), kind, start, initial))
    return tokens


@functools.lru_cache(maxsize=_CACHE)
def zipf(norm: str, lang: str) -> float:
    """``wordfreq`` Zipf frequency of a case-folded word; -1.0 if the language is unknown."""
    source = _wordfreq_language(lang)
    if source is None:
        return -1.0
    return wordfreq.zipf_frequency(norm, source)


@functools.lru_cache(maxsize=_CACHE)
def rarity(norm: str, lang: str) -> float:
    """Inverse-frequency weight ``max(0, ZIPF_CEILING - zipf)``; flat for unknown languages."""
    value = zipf(norm, lang)
    if value < 0:
        return UNKNOWN_LANGUAGE_RARITY
    return max(0.0, ZIPF_CEILING - value)


@functools.lru_cache(maxsize=64)
def stop_words(lang: str) -> frozenset[str]:
    """The :data:`STOP_WORD_COUNT` most frequent words of ``lang`` in ``wordfreq``."""
    source = _wordfreq_language(lang)
    if source is None:
        return frozenset()
    return frozenset(wordfreq.top_n_list(source, STOP_WORD_COUNT))


@functools.lru_cache(maxsize=_CACHE)
def lemma(norm: str, lang: str) -> str:
    """``simplemma`` lemma (case-folded) of a word in ``lang``; the word when not covered."""
    if lang not in _SIMPLEMMA_LANGUAGES or not norm.isalpha():
        return norm
    return _LEMMATIZER.lemmatize(norm, lang).casefold()
