"""The peer baseline: a bare datasketch MinHashLSH dedup loop over a folder of files.

``python -m bench.baseline_loop DIR`` reads every file (plain or .gz) with
``bench.peers.folder``, as the peer runners do (the date header line stays in the
text), shingles word 5-grams of ``text.split()``, builds ``MinHash(num_perm=128)``
per document and queries then inserts into ``MinHashLSH(threshold=0.8)``. It prints
one JSON line with its counts. ``bench/perf.py`` times it as a whole process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from datasketch import MinHash, MinHashLSH

from bench.peers.folder import iter_articles


def main(folder: str) -> int:
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    docs = duplicates = 0
    for _name, text in iter_articles(Path(folder)):
        words = text.split()
        shingles = [
            " ".join(words[i : i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))
        ]
        signature = MinHash(num_perm=128)
        signature.update_batch(shingles)
        if lsh.query(signature):
            duplicates += 1
        else:
            lsh.insert(str(docs), signature)
        docs += 1
    print(json.dumps({"docs": docs, "duplicates": duplicates}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
