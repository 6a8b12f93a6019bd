"""Sessions out and in (JSON Lines export and import) and their deletion (retention, erasure).

Service functions over the ``SessionArchive`` port; the command line wraps them and tests call
them directly.
"""

from .record import FORMAT, READABLE_VERSIONS, VERSION, SessionRecord, decode, encode
from .retention import KEPT_BY_RETENTION, RetentionReport, forget_user, purge_sessions
from .transfer import (
    DEFAULT_PAGE_SIZE,
    ImportEntry,
    ImportReport,
    ImportStatus,
    JsonLinesFile,
    checked_filter,
    export_sessions,
    import_sessions,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "FORMAT",
    "KEPT_BY_RETENTION",
    "READABLE_VERSIONS",
    "VERSION",
    "ImportEntry",
    "ImportReport",
    "ImportStatus",
    "JsonLinesFile",
    "RetentionReport",
    "SessionRecord",
    "checked_filter",
    "decode",
    "encode",
    "export_sessions",
    "forget_user",
    "import_sessions",
    "purge_sessions",
]
