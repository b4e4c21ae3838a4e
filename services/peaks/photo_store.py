"""Content-addressed photo store on disk (the adapter flows and the parts use; domain never does): key =
SHA-256 of the bytes, written atomically.

A key looks like `ab/cd/abcd…` (two levels of fan-out keep directories small). Writing the same
bytes twice is a no-op, so a retried upload never duplicates a file. `put` goes through a
temporary file in the same directory, fsync and `os.replace`, so a reader never sees half a
file, even after a crash. Keys are validated before they touch the file system (no `..`).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")


class StorageError(KeyError):
    """No file under that key (or a malformed key)."""


class Storage:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise StorageError(f"not a storage key: {key!r}")
        return self.root / key

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def put(self, data: bytes) -> str:
        """Stores `data` and returns its key; atomic (temp file + fsync + rename)."""
        return self.put_new(data)[0]

    def put_new(self, data: bytes, sha256: str | None = None) -> tuple[str, bool]:
        """Like `put`; also says whether the file was created now (False: it was already there).

        `sha256`: the hex digest of `data` when the caller already computed it (the upload path
        hashes once, for the duplicate check and the key alike).
        """
        digest = sha256 or hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest[2:4]}/{digest}"
        target = self.path(key)
        if target.is_file():
            return key, False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            _fsync_dir(target.parent)  # the rename itself survives a power cut only once its directory is synced
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key, True

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise StorageError(f"no file stored under {key}") from None

    def delete(self, key: str) -> bool:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def count(self) -> int:
        """Number of stored files (tests and operators: nothing left behind)."""
        if not self.root.exists():
            return 0
        return sum(1 for p in self.root.rglob("*") if p.is_file())


def storage_of(platform: PeaksPlatform) -> Storage:
    """The service's store (one per running platform: `PeaksParts.storage`)."""
    return platform.parts.storage


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
