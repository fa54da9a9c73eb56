"""End-to-end performance benchmark: newsingest vs a bare datasketch loop, same files.

Usage (from the repository root)::

    python -m bench.perf --count 100000                 # generated corpus
    python -m bench.perf --reuters                      # ../shared/corpora/reuters21578
    python -m bench.perf --count 10000 --index-size 100000   # incremental: new batch vs index
    python -m bench.perf --count 100000 -- --dedup-story-enabled false
    python -m bench.perf --reuters --peers              # also text-dedup and datatrove

Every figure is for a whole process (interpreter start-up, imports, reading the
files, writing committed Parquet): wall time, docs/s, peak resident memory summed
over the process tree (sampled from /proc every 50 ms), and the per-stage CPU
seconds newsingest records in its manifest. The baseline is a bare datasketch
``MinHashLSH`` loop (word 5-grams, 128 permutations, threshold 0.8: query, then
insert) run as its own process over the same files. ``--peers`` also times the two
peer tools, text-dedup and datatrove, each in its own venv under ``bench/.venvs/``
(created and pip-installed on first use, pinned versions in ``PEERS``), each as a whole
process over the same files (``bench/peers/``); the install is not timed. A peer that
cannot be installed or run is reported with its error and the bench goes on. Results are
printed and written as JSON (``--out``, default ``bench/results/perf-<label>.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REUTERS = ROOT.parent / "shared" / "corpora" / "reuters21578"
VENVS = ROOT / "bench" / ".venvs"
# Peer name -> (pip requirements of its venv, runner module). datatrove's MinHash needs
# xxhash<4 (its [processing] extra's pin), regex and tokenizers, imported by its dedup
# package; the rest of that extra (trafilatura, fasttext, nltk ...) is not needed.
PEERS: dict[str, tuple[list[str], str]] = {
    "text-dedup": (["text-dedup==0.4.0"], "bench.peers.text_dedup_run"),
    "datatrove": (
        ["datatrove==0.10.1", "xxhash<4", "regex", "tokenizers"],
        "bench.peers.datatrove_run",
    ),
}


def _tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def run_measured(command: list[str], log: Path) -> dict:
    """Runs ``command``; returns wall seconds, exit code and peak summed RSS (MiB)."""
    peak = 0
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.05):
                peak = max(peak, _tree_rss_bytes(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
    return {"returncode": code, "wall_s": round(wall, 3), "peak_rss_mb": round(peak / 2**20, 1)}


def _newsingest() -> list[str]:
    script = Path(sys.executable).with_name("newsingest")
    return [str(script)] if script.exists() else [sys.executable, "-m", "newsingest.pipeline.cli"]


def _run_manifests(output: Path, run_id: str) -> list[dict]:
    """The committed manifests of run ``run_id``: itself, or its slices in order."""
    single = output / "_runs" / f"{run_id}.json"
    if single.exists():
        return [json.loads(single.read_text())]
    return [json.loads(p.read_text()) for p in sorted(output.glob(f"_runs/{run_id}.*of*.json"))]


def run_newsingest(inputs: Path, output: Path, run_id: str, extra: list[str], log: Path) -> dict:
    """One ``newsingest run`` as a child process, with its manifest figures.

    A sliced run (``--slice-files``) is summed over its slices; ``slice_wall_s`` lists
    each slice's in-process wall time (how a slice's cost grows with the index).
    """
    from newsingest.pipeline.slices import combine_manifests

    command = [*_newsingest(), "run", "--input", str(inputs), "--output", str(output)]
    measured = run_measured([*command, "--run-id", run_id, *extra], log)
    parts = _run_manifests(output, run_id)
    if measured["returncode"] != 0 or not parts:
        raise RuntimeError(f"newsingest failed; see {log}")
    manifest = combine_manifests(run_id, parts, sum(m["timings_s"].get("wall", 0) for m in parts))
    read = manifest["counts"]["read"]
    return {
        **measured,
        "docs": read,
        "docs_per_s": round(read / measured["wall_s"], 1),
        "counts": manifest["counts"] | {"per_date": len(manifest["counts"]["per_date"])},
        "stage_cpu_s": manifest["timings_s"].get("stage_cpu", {}),
        "in_process_wall_s": manifest["timings_s"].get("wall"),
        "slices": len(parts),
        "slice_wall_s": [m["timings_s"].get("wall") for m in parts],
    }


def run_baseline(inputs: Path, log: Path) -> dict:
    """The bare datasketch loop over the same files, as a whole process."""
    measured = run_measured([sys.executable, "-m", "bench.baseline_loop", str(inputs)], log)
    if measured["returncode"] != 0:
        raise RuntimeError(f"baseline failed; see {log}")
    summary = json.loads(log.read_text().strip().splitlines()[-1])
    return {**measured, **summary, "docs_per_s": round(summary["docs"] / measured["wall_s"], 1)}


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def peer_python(name: str) -> Path:
    """The interpreter of peer ``name``'s venv, creating and installing it if needed.

    Raises RuntimeError with the tail of pip's output when the venv cannot be made.
    """
    requirements, _module = PEERS[name]
    venv = VENVS / name
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    wanted = "\n".join(requirements)
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    print(f"  installing {name} into {venv} ({' '.join(requirements)}) ...", flush=True)
    steps = [[sys.executable, "-m", "venv", str(venv)], [str(python), "-m", "pip", "install", "-q"]]
    steps[1].extend(requirements)
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(step)} failed:\n{_tail(done.stderr + done.stdout)}")
    marker.write_text(wanted)
    return python


def run_peer(name: str, inputs: Path, log: Path) -> dict:
    """Peer ``name``'s runner over ``inputs`` as a whole process; ``{"error": ...}`` on failure."""
    try:
        python = peer_python(name)
    except (RuntimeError, OSError) as error:
        return {"error": f"install: {error}"}
    measured = run_measured([str(python), "-m", PEERS[name][1], str(inputs)], log)
    output = log.read_text(errors="replace")
    if measured["returncode"] != 0:
        return {**measured, "error": f"run failed (see {log}):\n{_tail(output)}"}
    try:
        summary = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {**measured, "error": f"no summary line (see {log}):\n{_tail(output)}"}
    return {**measured, **summary, "docs_per_s": round(summary["docs"] / measured["wall_s"], 1)}


def _generated(count: int, seed: int, workdir: Path) -> Path:
    from bench.generate_corpus import CorpusConfig, generate_corpus

    target = workdir / f"corpus-{count}-{seed}"
    if (target / "_truth.json").exists():
        return target
    if target.exists():
        shutil.rmtree(target)
    generate_corpus(CorpusConfig(count=count, seed=seed), str(target))
    return target


def _reuters(workdir: Path) -> Path:
    from bench.corpora import load_reuters, write_reuters

    target = workdir / "reuters-files"
    if not target.exists():
        write_reuters(load_reuters(REUTERS), target)
    return target


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(
        prog="python -m bench.perf", description=__doc__.split("\n")[0]
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--count", type=int, help="generate this many articles (seeded)")
    source.add_argument("--reuters", action="store_true", help="use Reuters-21578 as files")
    source.add_argument("--input", type=Path, help="an existing folder of article files")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--index-size",
        type=int,
        default=0,
        help="first ingest this many other generated articles (incremental run)",
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--peers",
        action="store_true",
        help="also time text-dedup and datatrove (own venvs under bench/.venvs/)",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newsingest-bench"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.reuters and not REUTERS.is_dir():
        print(f"skipped: {REUTERS} is absent")
        return 0
    inputs = (
        _reuters(args.workdir)
        if args.reuters
        else args.input
        if args.input
        else _generated(args.count, args.seed, args.workdir)
    )
    label = "reuters" if args.reuters else (args.input.name if args.input else f"gen{args.count}")
    if args.index_size:
        label += f"-vs-index{args.index_size}"
    output = args.workdir / f"out-{label}"
    if output.exists():
        shutil.rmtree(output)
    if args.index_size and not args.no_baseline:
        parser.error("--index-size measures an incremental run: use it with --no-baseline")
    report: dict = {"label": label, "inputs": str(inputs), "extra_options": extra}
    if args.index_size:
        built = args.workdir / f"index-{args.index_size}-{args.seed + 1}"
        if not (built / "_runs" / "base.json").exists():
            base = _generated(args.index_size, args.seed + 1, args.workdir)
            shutil.rmtree(built, ignore_errors=True)
            run_newsingest(base, built, "base", extra, args.workdir / f"{label}-base.log")
        manifest = json.loads((built / "_runs" / "base.json").read_text())
        report["index_build"] = {
            "docs": manifest["counts"]["read"],
            "wall_s": manifest["timings_s"].get("wall"),
        }
        shutil.copytree(built, output)
    report["newsingest"] = run_newsingest(
        inputs, output, "bench", extra, args.workdir / f"{label}-newsingest.log"
    )
    if not args.no_baseline:
        report["baseline_datasketch"] = run_baseline(inputs, args.workdir / f"{label}-base.json")
        report["ratio_docs_per_s"] = round(
            report["newsingest"]["docs_per_s"] / report["baseline_datasketch"]["docs_per_s"], 2
        )
    if args.peers:
        report["peers"] = {}
        for name in PEERS:
            peer = run_peer(name, inputs, args.workdir / f"{label}-{name}.log")
            if "error" not in peer and "baseline_datasketch" in report:
                base = report["baseline_datasketch"]["docs_per_s"]
                peer["ratio_to_loop_docs_per_s"] = round(peer["docs_per_s"] / base, 2)
            report["peers"][name] = peer
    report["load_average"] = os.getloadavg()
    out = args.out or ROOT / "bench" / "results" / f"perf-{label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    _print(report, out)
    return 0


def _print(report: dict, out: Path) -> None:
    ns = report["newsingest"]
    print(f"{report['label']}: {ns['docs']} files")
    if "index_build" in report:
        ib = report["index_build"]
        print(f"  index build       {ib['docs']} docs in {ib['wall_s']} s")
    print(
        f"  newsingest        {ns['wall_s']} s  {ns['docs_per_s']:,} docs/s  "
        f"peak RSS {ns['peak_rss_mb']} MiB (process tree)"
    )
    print(f"  stage cpu (s)     {ns['stage_cpu_s']}")
    counts = ns["counts"]
    print(
        f"  kept {counts['kept']}  duplicates {counts['duplicates_by_method']}  "
        f"quarantined {counts['quarantined']}  skipped {counts['skipped_already_ingested']}"
    )
    if "baseline_datasketch" in report:
        base = report["baseline_datasketch"]
        print(
            f"  datasketch loop   {base['wall_s']} s  {base['docs_per_s']:,} docs/s  "
            f"peak RSS {base['peak_rss_mb']} MiB  (duplicates {base['duplicates']})"
        )
        print(f"  ratio             {report['ratio_docs_per_s']}x the bare loop's docs/s")
    for name, peer in report.get("peers", {}).items():
        if "error" in peer:
            print(f"  {name:<17} NOT RUN: {peer['error']}")
            continue
        ratio = peer.get("ratio_to_loop_docs_per_s")
        print(
            f"  {name:<17} {peer['wall_s']} s  {peer['docs_per_s']:,} docs/s  "
            f"peak RSS {peer['peak_rss_mb']} MiB  (duplicates {peer['duplicates']}"
            + (f", {ratio}x the loop's docs/s)" if ratio is not None else ")")
        )
        print(f"  {'':<17} {name} {peer['version']}: {peer['config']}")
    print(f"  load average      {tuple(round(x, 2) for x in report['load_average'])}")
    print(f"  written to        {out}")


if __name__ == "__main__":
    sys.exit(main())
