"""``python -m newsingest``: the same entry point as the ``newsingest`` command."""

import sys

from newsingest.pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main())
