"""Text files as people's tools write them: tags.csv, vocabulary and settings files.

A spreadsheet, an editor or another system may save UTF-8 with or without a byte-order mark, UTF-16 with
one (Excel's "Unicode text"), and end lines with \\n, \\r\\n or a lone \\r (old Macs). All of these read the
same. What is not a text file of a sane size is refused with a DataError naming the file: a folder, a device
or a pipe behind the name or behind a link (reading /dev/zero never ends; opening a pipe waits for a writer
forever), or more than MAX_TEXT_BYTES.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path
from typing import BinaryIO

from acgan.errors import UserError

MAX_TEXT_BYTES = 1 << 30  # a tags.csv of ten million faces is about 400 MB


class DataError(UserError):
    """A problem with the data that names where it is: a file and, when it applies, a line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


def read_text(path: Path, what: str, limit: int = MAX_TEXT_BYTES) -> str:
    """The file's text with every line ending as \\n; a DataError saying why it cannot be, naming `path`."""
    try:
        info = os.stat(path)  # follows links: what matters is what is read
    except FileNotFoundError:
        raise DataError(path, f"no such file; expected {what}") from None
    except OSError as err:
        raise DataError(path, f"cannot read it ({err.strerror or err})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(path, f"is a folder; expected {what}")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(path, f"is not a regular file (a device, a pipe or a socket); expected {what}")
    if info.st_size > limit:
        raise DataError(path, f"{info.st_size:,} bytes is more than the {limit:,} acgan reads as {what}")
    try:
        with open(path, "rb") as handle:
            raw = read_at_most(handle, limit)
    except OSError as err:
        raise DataError(path, f"cannot read it ({err.strerror or err})") from None
    return decoded(raw, path).replace("\r\n", "\n").replace("\r", "\n")


def read_at_most(handle: BinaryIO, limit: int, chunk: int = 1 << 20) -> bytes:
    """Up to `limit` + 1 bytes, read a chunk at a time: read(limit + 1) would ask for the whole bound at once, which
    fails on a machine with less free memory than the bound even for a small file."""
    parts, size = [], 0
    while size <= limit:
        part = handle.read(min(chunk, limit + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def decoded(raw: bytes, path: Path) -> str:
    encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        hint = "" if encoding == "utf-16" else "; save it as UTF-8 (or UTF-16 with a byte-order mark)"
        line = raw.count(b"\n", 0, err.start) + 1
        where = f"line {line}, byte {err.start}"
        raise DataError(path, f"not {encoding.upper().removesuffix('-SIG')} text ({where}){hint}") from None
