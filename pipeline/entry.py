"""The ``newsingest`` console script: a launcher that imports the command line when called.

The story profiles' pool processes (``transforms/core/profile_pool.py``) are spawned, and
a spawned process re-imports the launching script (as ``__mp_main__``) before it runs
any work. This module therefore imports nothing at module level, so a pool process
loads only what profiles need, not Beam, pyarrow and the pipeline (README,
``--feature-processes``).
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Runs ``newsingest.pipeline.cli.main`` (same arguments, same exit code)."""
    from newsingest.pipeline.cli import main as cli_main

    return cli_main(argv)
