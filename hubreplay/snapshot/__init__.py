"""Hub snapshots: the recorded form of what a hub served (format in ``FORMAT.md``).

* :class:`Snapshot` loads a folder, indexed by id and by ``base_model:<relation>:<id>`` tag;
* :class:`SnapshotWriter` writes one (the bundled builder, :mod:`hubreplay.snapshot.synthetic`
  and :mod:`hubreplay.snapshot.record` use it);
* :func:`bundled_snapshot_path` is the real-data snapshot shipped in the package.
"""

from hubreplay.snapshot.bundled import bundled_snapshot_path
from hubreplay.snapshot.errors import (
    RecordError,
    RecordPermanentError,
    RecordRetryableError,
    SnapshotError,
    SnapshotFormatError,
    SnapshotNotFoundError,
)
from hubreplay.snapshot.format import FORMAT_VERSION, Manifest
from hubreplay.snapshot.store import ModelEntry, Snapshot, StoredFile
from hubreplay.snapshot.writer import SnapshotWriter

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
