"""The libraries' fingerprint in the feature version: content and behaviour, not releases."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from newsingest.transforms.core import feature_version, resource_fingerprint, story_text
from newsingest.transforms.core.dedup_config import DedupConfig

TARGET_LANGUAGES = {"ar", "de", "en", "es", "fr", "it", "pl", "ru", "tr", "zh"}


def test_the_feature_version_hashes_the_fingerprint_not_release_numbers():
    identity = feature_version.feature_identity(DedupConfig())
    assert identity["resources"] == resource_fingerprint.resource_fingerprint()
    assert "regex" not in identity["libraries"]


def test_the_fingerprint_is_the_same_in_a_fresh_interpreter_with_another_hash_seed():
    code = "from newsingest.transforms.core import resource_fingerprint as r\n"
    code += "print(r.resource_fingerprint())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == resource_fingerprint.resource_fingerprint()


@pytest.mark.parametrize("lang", [lang for lang, _text in resource_fingerprint.PROBES])
def test_each_probe_is_a_text_of_its_language(lang):
    text = dict(resource_fingerprint.PROBES)[lang]
    assert story_text.detect_language(text) == lang


def test_probes_cover_the_target_languages_and_every_token_kind():
    record = resource_fingerprint.behaviour_record()
    assert set(record["tokens"]) >= TARGET_LANGUAGES
    kinds = {token[1] for probe in record["tokens"].values() for token in probe["story_tokens"]}
    assert kinds == {"word", "num", "cjk"}
    chinese = [token[0] for token in record["tokens"]["zh"]["story_tokens"]]
    assert any(len(word) > 2 for word in chinese), "jieba words, not character bigrams"
    assert all(probe["near_tokens"] and probe["entity_scan"] for probe in record["tokens"].values())


def test_word_data_comes_from_the_libraries():
    words = resource_fingerprint.behaviour_record()["words"]
    assert len(words["stop_words"]) == story_text.STOP_WORD_COUNT
    assert all(value >= 0 for value in words["zipf"])
    norms = [t.norm for t in story_text.tokenize(dict(resource_fingerprint.PROBES)["en"], "en")]
    assert words["lemmas"] != norms, "simplemma lemmatises (prices -> price)"


def test_every_content_package_is_hashed_and_installed():
    content = resource_fingerprint.behaviour_record()["content"]
    assert set(content) == set(resource_fingerprint.CONTENT_PACKAGES)
    assert len(set(content.values())) == len(content)


def _install(site, data: str, version: str, bytecode: bytes) -> None:
    """A real installed distribution ``fpprobe`` in ``site`` (package, data, metadata)."""
    package = site / "fpprobe"
    (package / "__pycache__").mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "words.txt").write_text(data)
    (package / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(bytecode)
    info = site / "fpprobe-0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fpprobe\nVersion: {version}\n")
    (info / "RECORD").write_text(
        textwrap.dedent(
            """\
            fpprobe/__init__.py,,
            fpprobe/words.txt,,
            fpprobe/__pycache__/__init__.cpython-311.pyc,,
            fpprobe-0.dist-info/METADATA,,
            fpprobe-0.dist-info/RECORD,,
            """
        )
    )


def test_package_content_follows_data_not_release_numbers_or_bytecode(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    _install(tmp_path, "the\nof\n", "1.0", b"\x00")
    first = resource_fingerprint.package_content("fpprobe")
    _install(tmp_path, "the\nof\n", "2.0", b"\x01\x02")
    assert resource_fingerprint.package_content("fpprobe") == first
    _install(tmp_path, "the\nand\n", "2.0", b"\x01\x02")
    assert resource_fingerprint.package_content("fpprobe") != first
    (tmp_path / "fpprobe" / "words.txt").unlink()
    with pytest.raises(RuntimeError, match="listed but missing"):
        resource_fingerprint.package_content("fpprobe")
