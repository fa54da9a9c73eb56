"""datatrove's four-stage MinHash dedup over a folder of article files.

``python -m bench.peers.datatrove_run DIR [--workdir W]`` (with datatrove's venv)
runs datatrove's documented MinHash pipeline with ``LocalPipelineExecutor``:
signatures, buckets, clusters, filter, each stage one worker. Settings are datatrove's
defaults (word 5-grams, 14 buckets x 8 hashes = 112 hashes, 64-bit xxhash, its text
simplification) except the word tokenizer: whitespace split (the bare loop's), because
datatrove's default English tokenizer (NLTK punkt) downloads its model at run time and
there is no network here. Documents are read by a small ``BaseDiskReader`` (one file, one
document; the same files as ``bench/baseline_loop.py``). Prints one JSON line: docs read,
duplicates removed, the datatrove version and the config.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.utils.word_tokenizers import WordTokenizer

from bench.peers.folder import peer_main, read_article


class ArticleFolderReader(BaseDiskReader):
    """One datatrove Document per article file (see ``bench.peers.folder``)."""

    name = "article files"

    def read_file(self, filepath: str):
        name = Path(filepath).name
        if name.startswith(("_", ".")):
            return
        text = read_article(Path(self.data_folder.resolve_paths(filepath)))
        if text is not None:
            document = self.get_document_from_dict({"text": text, "id": filepath}, filepath, 0)
            if document:
                yield document


class WhitespaceTokenizer(WordTokenizer):
    """``str.split``: the bare loop's words, and no model download."""

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return [text]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [(0, len(text))]


def run(folder: Path, workdir: Path) -> dict:
    """Runs the four stages on ``folder``; returns docs read, duplicates removed, config."""
    config = MinhashConfig()
    tokenizer = WhitespaceTokenizer("en")
    logs = workdir / "logs"

    def reader() -> ArticleFolderReader:
        return ArticleFolderReader(str(folder), recursive=True)

    stages = [
        LocalPipelineExecutor(
            pipeline=[
                reader(),
                MinhashDedupSignature(
                    output_folder=str(workdir / "signatures"), config=config, language=tokenizer
                ),
            ],
            tasks=1,
            workers=1,
            logging_dir=str(logs / "signatures"),
        ),
        LocalPipelineExecutor(
            pipeline=[
                MinhashDedupBuckets(
                    input_folder=str(workdir / "signatures"),
                    output_folder=str(workdir / "buckets"),
                    config=config,
                )
            ],
            tasks=config.num_buckets,
            workers=1,
            logging_dir=str(logs / "buckets"),
        ),
        LocalPipelineExecutor(
            pipeline=[
                MinhashDedupCluster(
                    input_folder=str(workdir / "buckets"),
                    output_folder=str(workdir / "remove_ids"),
                    config=config,
                )
            ],
            tasks=1,
            workers=1,
            logging_dir=str(logs / "clusters"),
        ),
        LocalPipelineExecutor(
            pipeline=[
                reader(),
                MinhashDedupFilter(input_folder=str(workdir / "remove_ids")),
            ],
            tasks=1,
            workers=1,
            logging_dir=str(logs / "filter"),
        ),
    ]
    for stage in stages:
        stage.run()
    # The filter stage's own statistics: [reader, filter].
    reader_stats, filter_stats = json.loads((logs / "filter" / "stats.json").read_text())
    return {
        "docs": reader_stats["stats"]["documents"]["total"],
        "duplicates": filter_stats["stats"].get("dropped", 0),
        "version": version("datatrove"),
        "config": f"{config} tokenizer=whitespace tasks=1 workers=1",
    }


def main(argv: list[str] | None = None) -> int:
    return peer_main("python -m bench.peers.datatrove_run", run, argv)


if __name__ == "__main__":
    sys.exit(main())
