"""newsingest's entry point, options, pipeline assembly, commit protocol and commands.

Importing this package installs one logging filter on the root logger: it drops the
warnings some Beam modules log through the *root* logger while they are imported
(e.g. "apitools not found ..." without the GCP extras), which would otherwise reach
every command's stderr. ``--verbose`` removes it. Nothing else is filtered.
"""

import logging


class BeamImportNoise(logging.Filter):
    """Rejects root-logger records emitted from inside the ``apache_beam`` package."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "root" and "apache_beam" in record.pathname)


BEAM_IMPORT_NOISE = BeamImportNoise()
logging.getLogger().addFilter(BEAM_IMPORT_NOISE)
