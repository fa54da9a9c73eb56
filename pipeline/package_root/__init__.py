"""newsingest: streaming news ingestion with incremental deduplication on Apache Beam.

This folder is installed as the top-level ``newsingest`` package (see ``package-dir`` in
``pyproject.toml``); the code lives in its sub-packages, installed from the repository's
root folders:

* ``newsingest.pipeline``: the command line, options, pipeline assembly, commit protocol.
* ``newsingest.transforms``: Beam PTransforms over the Beam-free core in
  ``newsingest.transforms.core``.
* ``newsingest.schemas``: the versioned Arrow schemas of everything written.

``newsingest`` is the only top-level name the distribution installs.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsingest")
except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
