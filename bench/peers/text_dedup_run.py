"""text-dedup's MinHash dedup (``text_dedup.minhash``) over a folder of article files.

``python -m bench.peers.text_dedup_run DIR [--workdir W]`` (with text-dedup's venv)
reads the files (the same ones as ``bench/baseline_loop.py``) into a Hugging Face
``datasets.Dataset`` with one ``text`` row per file, saves it to disk, and calls
text-dedup's documented command (``python -m text_dedup.minhash --path ... --local``)
in-process with word 5-grams, 128 permutations, threshold 0.8 (text-dedup picks bands
and rows with datasketch's optimal-parameter rule), ``--min_length 0`` (so no short
document is dropped as a "duplicate"), ``--num_proc 1`` (one process, like the bare loop)
and its default sha1 hashing. Prints one JSON line: docs read, duplicates removed (rows
in minus rows in text-dedup's output), the text-dedup version and the config.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version
from pathlib import Path

from bench.peers.folder import iter_articles, peer_main

SETTINGS = ["--ngram", "5", "--num_perm", "128", "--threshold", "0.8", "--min_length", "0"]


def run(folder: Path, workdir: Path) -> dict:
    """Builds the dataset, runs text-dedup's MinHash; returns docs, duplicates, config."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets
    from text_dedup.minhash import main as minhash_main

    texts = [text for _name, text in iter_articles(folder)]
    source, output = workdir / "input", workdir / "output"
    datasets.Dataset.from_dict({"text": texts}).save_to_disk(str(source))
    arguments = [
        *("--path", str(source), "--local", "--column", "text"),
        *("--output", str(output), "--cache_dir", str(workdir / "cache")),
        *("--num_proc", "1", *SETTINGS),
    ]
    minhash_main.main(args=arguments, standalone_mode=False)
    kept = len(datasets.load_from_disk(str(output)))
    return {
        "docs": len(texts),
        "duplicates": len(texts) - kept,
        "version": version("text-dedup"),
        "config": " ".join([*SETTINGS, "--num_proc", "1", "--hash_func", "sha1"]),
    }


def main(argv: list[str] | None = None) -> int:
    return peer_main("python -m bench.peers.text_dedup_run", run, argv)


if __name__ == "__main__":
    sys.exit(main())
