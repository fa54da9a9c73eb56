"""``newsingest runs``: the committed runs of a dataset, oldest first."""

from __future__ import annotations

import argparse
import sys

import orjson
from apache_beam.io.filesystems import FileSystems

from newsingest.pipeline.commit import read_json
from newsingest.pipeline.dataset import NotADatasetError, require_dataset
from newsingest.pipeline.exitcodes import ExitCode
from newsingest.transforms.core.file_selection import escape_glob

__all__ = ["list_runs", "main"]


def list_runs(root: str) -> list[dict]:
    """Manifests of all committed runs, sorted by commit time then run id."""
    paths = [
        meta.path
        for result in FileSystems.match([f"{escape_glob(root.rstrip('/'))}/_runs/*.json"])
        for meta in result.metadata_list
    ]
    manifests = [read_json(path) for path in paths]
    return sorted(manifests, key=lambda m: (m.get("committed_at") or "", m.get("run_id") or ""))


def _row(manifest: dict) -> list[str]:
    counts = manifest["counts"]
    return [
        manifest["run_id"],
        manifest.get("committed_at", "")[:19],
        str(counts["read"]),
        str(counts["kept"]),
        str(counts["duplicates"]),
        str(counts["quarantined"]),
        str(counts.get("skipped_already_ingested", 0)),
        f"{manifest.get('timings_s', {}).get('wall', 0):.1f}",
    ]


def main(argv: list[str]) -> int:
    """``newsingest runs DIR [--json]``."""
    parser = argparse.ArgumentParser(
        prog="newsingest runs", description="List a dataset's committed runs with their counts."
    )
    parser.add_argument("output", help="dataset root")
    parser.add_argument("--json", action="store_true", help="print the manifests as JSON lines")
    args = parser.parse_args(argv)
    try:
        require_dataset(args.output)
    except NotADatasetError as error:
        print(f"newsingest runs: error: {error}", file=sys.stderr)
        return ExitCode.NOT_FOUND
    manifests = list_runs(args.output)
    if args.json:
        for manifest in manifests:
            sys.stdout.write(orjson.dumps(manifest).decode() + "\n")
        return 0
    header = ["run_id", "committed_at", "read", "kept", "dups", "quarantined", "skipped", "wall_s"]
    rows = [header] + [_row(m) for m in manifests]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0
