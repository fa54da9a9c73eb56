"""Explicit, versioned Arrow schemas of everything newsingest writes.

Every writer, reader and test uses these objects; nothing is ever inferred
from data. See ``schemas/SCHEMAS.md`` for the column reference and the
versioning policy.
"""

from newsingest.schemas.tables import (
    ARTICLES,
    DUPLICATES,
    INDEX,
    QUARANTINE,
    SCHEMA_VERSION,
    TableSchema,
    empty_table,
    schema_of_file,
)

__all__ = [
    "ARTICLES",
    "DUPLICATES",
    "INDEX",
    "QUARANTINE",
    "SCHEMA_VERSION",
    "TableSchema",
    "empty_table",
    "schema_of_file",
]
