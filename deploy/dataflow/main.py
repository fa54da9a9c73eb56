"""Dataflow Flex Template entry point: ``python main.py --input=... --output=... [Beam options]``.

The launcher passes template parameters as ``--name=value``; they are handed unchanged to
``newsingest run``, which is installed in the image, with ``--commit-in-pipeline``: the
launcher submits the job and exits, so the pipeline's last step commits the run.
"""

from __future__ import annotations

import sys

from newsingest.pipeline.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Runs ``newsingest run`` with ``argv`` (default: this process's arguments)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--commit-in-pipeline" not in args and "--commit_in_pipeline" not in args:
        args.append("--commit-in-pipeline")
    return cli_main(["run", *args])


if __name__ == "__main__":
    sys.exit(main())
