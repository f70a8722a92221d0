"""Reading the files jobgraph is given, safely: regular files only, a size limit, UTF-8 text,
strict CSV with the line of each record, and the path a file is named by to users."""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import DataError, Problem

# A curated file larger than this is refused before parsing: YAML parsing costs ~50x the file's
# size in memory, and no hand-kept referential comes close.
DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024


def max_file_bytes() -> int:
    """The size limit of a curated file: ``$JOBGRAPH_MAX_FILE_MB`` MB, else 16."""
    return int(float(os.environ.get("JOBGRAPH_MAX_FILE_MB", "16")) * 1024 * 1024)


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def not_regular(rel: str, mode: int) -> Problem:
    """The problem of a path that is there but is no regular file (a folder, a pipe, ...)."""
    return Problem(rel, None, f"is {_file_kind(mode)}, not a regular file",
                   "jobgraph reads plain files only: remove or rename it")


def unreadable(path: Path, rel: str, exc: OSError) -> Problem:
    """The problem of a path that cannot be opened or listed, in the user's words."""
    if exc.errno == errno.ELOOP:
        return Problem(rel, None, "is a symbolic link that leads back to itself (a link loop)",
                       "replace the link by the file it should point to")
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return Problem(rel, None, f"is a symbolic link to a missing file ({os.readlink(path)})",
                       "restore the file, or remove the link")
    return Problem(rel, None, f"cannot be read: {exc.strerror or exc}",
                   "check that it exists and can be read")


def read_bytes(path: Path, rel: str, *, limit: int | None = None) -> bytes:
    """The bytes of a file the loader reads: a regular file (a symbolic link to one is followed),
    at most ``limit`` bytes (the curated-file limit by default); any other problem raises
    DataError."""
    limit = max_file_bytes() if limit is None else limit
    # opened before it is looked at, so that what is checked is what is read; O_NONBLOCK so that
    # opening a named pipe returns at once instead of waiting for a writer
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise DataError([unreadable(path, rel, exc)]) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise DataError([not_regular(rel, st.st_mode)])
    with os.fdopen(fd, "rb") as fh:
        too_big = DataError([Problem(
            rel, None, f"file is {st.st_size / 2**20:.1f} MiB, above the {limit / 2**20:.0f} MiB "
            "limit for a curated file", "split it, or raise JOBGRAPH_MAX_FILE_MB if this size is "
            "intended")])
        if st.st_size > limit:
            raise too_big
        try:
            raw = fh.read(limit + 1)  # bounded: the file may grow after fstat
        except OSError as exc:
            raise DataError([unreadable(path, rel, exc)]) from None
        if len(raw) > limit:
            raise too_big
    return raw


def read_text(path: Path, rel: str, *, limit: int | None = None) -> str:
    """Read a curated file as UTF-8; size, encoding and emptiness problems raise DataError."""
    raw = read_bytes(path, rel, limit=limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError([Problem(
            rel, line, f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise DataError([Problem(rel, 1, "file is empty", "fill it or remove it")])
    return text


def project_path(path: Path, data_dir: Path) -> str:
    """How a file under ``data_dir`` is named to users: relative to the project, the data
    folder's parent (``data/cci-2015/jobs.yaml``)."""
    try:
        # the folder resolved, not the file: a file may be a link loop (resolve() raises on one)
        return (path.parent.resolve() / path.name).relative_to(
            data_dir.resolve().parent).as_posix()
    except (ValueError, OSError, RuntimeError):
        return path.as_posix()


def csv_problem(rel: str, line: int, exc: csv.Error) -> Problem:
    """The csv module's error, said in the terms of the record starting at ``line``."""
    text = str(exc)
    if "unexpected end of data" in text:
        message = "a quote opened in the record starting here is never closed"
    elif "expected after" in text:
        message = ("a quote closes a field of the record starting here but text follows it: "
                   "a quote left open, or a quote inside a field")
    else:
        message = f"malformed CSV in the record starting here: {text}"
    return Problem(rel, line, message, "a field that holds a comma, a quote or a line break is "
                   'written in quotes, a quote inside it doubled ("")')


def csv_records(text: str, rel: str, *, first_line: int = 1,
                one_line: bool = False) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of every non-blank record of a CSV text whose first line is ``first_line``
    of its file. Read strictly: a stray quote, or a quote left open until the end, raises
    DataError at the line where the record starts; with ``one_line``, so does a record that runs
    over several lines (a quote left open that took in the next rows)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    end = 0  # the last line of the record read last
    try:
        for values in reader:
            start, end = end + 1, reader.line_num
            if one_line and end > start:
                raise DataError([Problem(
                    rel, first_line - 1 + start, f"the record starting here runs over "
                    f"{end - start + 1} lines, up to line {first_line - 1 + end}: a quote is "
                    "left open", "close the quote of this line (each row is one line)")])
            if values and (values[0].strip() or any(v.strip() for v in values)):
                yield first_line - 1 + start, values
    except csv.Error as exc:
        raise DataError([csv_problem(rel, first_line + end, exc)]) from None


def header_difference(header: list[str], columns: tuple[str, ...]) -> str:
    """What a CSV header lacks and has too much against ``columns`` ("missing a; unexpected
    b"), or "" when it holds the same names (in another order)."""
    missing = [c for c in columns if c not in header]
    extra = [c for c in header if c not in columns]
    return "; ".join(x for x in (f"missing {', '.join(missing)}" if missing else "",
                                 f"unexpected {', '.join(extra)}" if extra else "") if x)


def read_csv_rows(path: Path, rel: str, columns: tuple[str, ...],
                  problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV with exactly ``columns``, each with its line; column problems are reported."""
    text = read_text(path, rel)
    rows: list[tuple[int, dict[str, str]]] = []
    records = csv_records(text, rel, one_line=True)
    try:
        _, header = next(records)
        header = [h.strip() for h in header]
        if tuple(header) != columns:
            detail = header_difference(header, columns) or "wrong order"
            problems.append(Problem(rel, 1, f"header must be {','.join(columns)} ({detail})",
                                    "fix the first line of the file"))
            return rows
        for line, values in records:
            if len(values) != len(columns):
                problems.append(Problem(rel, line, f"row has {len(values)} fields, "
                                        f"the header has {len(columns)}",
                                        "quote fields that contain a comma"))
                continue
            rows.append((line, {c: v.strip() for c, v in zip(columns, values, strict=True)}))
    except StopIteration:
        problems.append(Problem(rel, 1, "file has no header line", "fill it or remove it"))
    except DataError as exc:
        problems.extend(exc.problems)
    return rows

