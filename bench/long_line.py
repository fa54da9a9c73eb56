"""Peak memory and wall time of ``newsingest run`` on one 8.9 MB single-line article.

``python -m bench.long_line [--mb 8.9] [--repeats 3]`` writes one file of ``--mb`` MB
of words on a single line (seeded), runs ``newsingest run`` on it ``--repeats`` times
in a fresh subprocess each (peak RSS of that process tree via ``RUSAGE_CHILDREN`` in a
wrapper process), prints the medians and writes ``bench/results/long-line.json``.

Before block-wise MinHash the MinHash step alone held a (num_perm x shingles) matrix:
~2.3 GB peak for 8.9 MB.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

RESULTS = Path(__file__).resolve().parent / "results"
_WRAPPER = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
)
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "river",
    "Danube",
    "market",
    "shares",
    "rose",
    "percent",
    "Berlin",
    "Paris",
]


def write_long_line(path: Path, megabytes: float, seed: int = 1) -> int:
    """Writes one dated article of ``megabytes`` MB on a single line; returns its size."""
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    parts, size = [" date 2024-03-28 "], 17
    while size < target:
        word = f"{rng.choice(WORDS)}{rng.randint(0, 99)} "
        parts.append(word)
        size += len(word)
    path.write_text("".join(parts)[:target])
    return path.stat().st_size


def peak_rss_mb(command: list[str]) -> tuple[float, float, int]:
    """(peak RSS in MiB of ``command``'s process tree, wall seconds, exit code)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *command], capture_output=True, text=True, check=True
    )
    rss_kb, code = done.stdout.split()
    return int(rss_kb) / 1024, time.perf_counter() - started, int(code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=8.9)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "long-line.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        inbox = Path(work) / "in"
        inbox.mkdir()
        size = write_long_line(inbox / "one-line.txt", args.mb)
        runs = []
        for index in range(args.repeats):
            command = [sys.executable, "-m", "newsingest", "run", "--quiet", "--input",
                       str(inbox), "--output", str(Path(work) / f"out{index}")]  # fmt: skip
            rss, wall, code = peak_rss_mb(command)
            if code != 0:
                raise SystemExit(f"newsingest run failed with exit code {code}")
            runs.append({"peak_rss_mib": round(rss, 1), "wall_s": round(wall, 2)})
    result = {
        "file_bytes": size,
        "lines": 1,
        "runs": runs,
        "median_peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in runs),
        "median_wall_s": statistics.median(r["wall_s"] for r in runs),
        "python": platform.python_version(),
    }
    print(
        f"{size / 1e6:.1f} MB single line: median peak RSS {result['median_peak_rss_mib']:.0f} MiB,"
        f" median wall {result['median_wall_s']:.1f} s ({args.repeats} runs)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
