"""Writing a file whole or not at all: the one way acgan puts a file on disk (checkpoints, config.json, the log
when it is cut back, the data cache, pictures, exports, reports).

The bytes go to a temporary name beside the file, are flushed to the disk, and are renamed over it; the folder
is flushed too, so after a crash (a kill, a full disk, a power cut) a reader finds the old file or the new one,
never half of one. A failure removes the temporary file and raises the OSError for the caller to word.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: Path, payload: bytes | Callable[[BinaryIO], object]) -> None:
    """Write `payload` (bytes, or a function that writes into the open file, for data too big to copy) as
    `path`, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(temporary, "wb") as handle:
            if isinstance(payload, bytes):
                handle.write(payload)
            else:
                payload(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
