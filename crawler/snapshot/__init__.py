"""Hub snapshots: the recorded form of what a hub served (format in ``FORMAT.md``).

* :class:`Snapshot` loads a folder, indexed by id and by ``base_model:<relation>:<id>`` tag;
* :class:`SnapshotWriter` writes one (the bundled builder, :mod:`crawler.snapshot.synthetic`
  and :mod:`crawler.snapshot.record` use it);
* :func:`bundled_snapshot_path` is the real-data snapshot shipped in the package.
"""

from crawler.snapshot.bundled import bundled_snapshot_path
from crawler.snapshot.errors import (
    RecordError,
    RecordPermanentError,
    RecordRetryableError,
    SnapshotError,
    SnapshotFormatError,
    SnapshotNotFoundError,
)
from crawler.snapshot.format import FORMAT_VERSION, Manifest
from crawler.snapshot.store import ModelEntry, Snapshot, StoredFile
from crawler.snapshot.writer import SnapshotWriter

__all__ = [
    "FORMAT_VERSION",
    "Manifest",
    "ModelEntry",
    "RecordError",
    "RecordPermanentError",
    "RecordRetryableError",
    "Snapshot",
    "SnapshotError",
    "SnapshotFormatError",
    "SnapshotNotFoundError",
    "SnapshotWriter",
    "StoredFile",
    "bundled_snapshot_path",
]
