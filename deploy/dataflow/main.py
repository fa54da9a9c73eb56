"""Dataflow Flex Template entry point: ``python main.py --input=... --output=... [Beam options]``.

The launcher passes template parameters as ``--name=value``; they are handed unchanged to
``newsingest run``, which is installed in the image.
"""

from __future__ import annotations

import sys

from pipeline.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Runs ``newsingest run`` with ``argv`` (default: this process's arguments)."""
    return cli_main(["run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
