"""Writing a file whole or not at all: the one way acgan puts a file on disk (checkpoints, config.json, the log
when it is cut back, the data cache, pictures, exports, reports).

The bytes go to a temporary name beside the file, are flushed to the disk, and are renamed over it; the folder
is flushed too, so after a crash (a kill, a full disk, a power cut) a reader finds the old file or the new one,
never half of one. A failure removes the temporary file and raises the OSError for the caller to word, or, for a
path a user named, `write_output` words it as one line.

A path that is a device or a pipe (/dev/stdout, /dev/full) is written in place: renaming onto it would replace the
node itself. A symbolic link is followed: the file it points to is replaced, the link stays.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from acgan.errors import UserError


def write_atomic(path: Path, payload: bytes | Callable[[BinaryIO], object]) -> None:
    """Write `payload` (bytes, or a function that writes into the open file, for data too big to copy) as
    `path`, creating its folder."""
    path = path.resolve() if path.is_symlink() else path
    if is_special(path):
        with open(path, "wb") as handle:
            write_payload(handle, payload)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(temporary, "wb") as handle:
            write_payload(handle, payload)
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


def write_payload(handle: BinaryIO, payload: bytes | Callable[[BinaryIO], object]) -> None:
    if isinstance(payload, bytes):
        handle.write(payload)
    else:
        payload(handle)
    handle.flush()


def is_special(path: Path) -> bool:
    """A device, a pipe or a socket: something that exists and is neither a file nor a folder."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_output(path: Path, payload: bytes | Callable[[BinaryIO], object]) -> None:
    """`payload` as a file a user named, whole or not at all; a place that cannot be written is one UserError
    naming the path and the problem, and nothing is left half-written."""
    if path.is_dir():
        raise UserError(f"{path} is a folder; give a file name")
    check_folder(path.parent, path)
    try:
        write_atomic(path, payload)
    except OSError as err:
        raise UserError(f"cannot write {path}: {os_reason(err)}") from None


def os_reason(err: OSError) -> str:
    """An OSError in a few plain words for a one-line error."""
    if err.errno == errno.ENOSPC:
        return "no space left on the device"
    return (err.strerror or str(err)).lower()


def check_folder(folder: Path, written: Path | None = None) -> None:
    """Refuse, before any work, a folder to write into (`written`, or the folder itself) that cannot be one
    because it, or a folder above it, is a file."""
    blocking = next((place for place in (folder, *folder.parents) if place.exists() and not place.is_dir()), None)
    if blocking is not None:
        raise UserError(f"cannot write {written or folder}: {blocking} is a file, not a folder")
