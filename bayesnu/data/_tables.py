"""Low-level readers for the text tables of the public releases.

Every reader validates as it goes and raises :class:`bayesnu.errors.InputError`
with the file, the 1-based line and the column of the first problem. The fast
path is a single vectorised parse; only when it fails is the file walked line
by line to find and name the offending line.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bayesnu.errors import InputError

__all__ = ["read_text", "NumericTable", "read_numeric_table", "read_csv_table", "norm_name"]


def norm_name(s: str) -> str:
    """Normalise a header name for comparison (case, spaces, brackets, units)."""
    return re.sub(r"[^a-z0-9]", "", s.lower())


def read_text(path: str | os.PathLike) -> str:
    """Read a (possibly gzipped) text file, turning I/O problems into InputError."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or directory", path=p)
    if p.is_dir():
        raise InputError("is a directory, expected a file", path=p)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path=p) from None
    if raw[:2] == b"\x1f\x8b":
        import gzip

        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            raise InputError("truncated or corrupt gzip file", path=p) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not a text file (undecodable byte at offset {exc.start})", path=p) from None
    if not text.strip():
        raise InputError("empty file", path=p)
    return text


class NumericTable(dict):
    """Columns (name -> float64 array) plus the 1-based line of each data row."""

    path: str
    lines: np.ndarray

    def line_of(self, row: int) -> int:
        return int(self.lines[row])


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return [t.strip() for t in line.split(delimiter)]


def _to_float(tok: str) -> float:
    return float(tok)


def read_numeric_table(
    path: str | os.PathLike,
    columns: Sequence[str],
    *,
    header: Sequence[str] | None = None,
    delimiter: str | None = None,
    comment: str = "#",
    header_is_comment: bool = False,
    allow_nan: bool = False,
    text: str | None = None,
) -> NumericTable:
    """Read a whitespace- or delimiter-separated numeric table.

    Parameters
    ----------
    path
        File to read (gzip is recognised).
    columns
        Output names, one per column of the file, in file order.
    header
        Expected header names (same length as ``columns``), compared after
        :func:`norm_name`. ``None``: the file has no header line.
    delimiter
        ``None`` for whitespace, else the separator character.
    comment
        Lines starting with this prefix are skipped (except a comment header).
    header_is_comment
        The header is the first comment line (``# a b c``).
    allow_nan
        Accept NaN values (otherwise a NaN is an error naming line and column).
    text
        Already-read file contents (skips reading ``path``).

    Returns
    -------
    NumericTable
        float64 columns keyed by ``columns``, attribute ``lines`` (1-based).
    """
    spath = os.fspath(path)
    if text is None:
        text = read_text(path)
    all_lines = text.splitlines()
    first = 0
    if header is not None:
        first = _check_header(all_lines, header, delimiter, comment, header_is_comment,
                              spath) + 1
    data_idx, data = _data_rows(all_lines, first, comment, spath)
    display = list(header) if header is not None else list(columns)
    arr = _parse_rows(data, len(columns), delimiter)
    if arr is None:
        _diagnose(data, data_idx, display, delimiter, spath)
        raise InputError("could not parse the table", path=spath)  # pragma: no cover
    return _to_table(arr, columns, display, data, data_idx, delimiter, allow_nan, spath)


def _check_header(all_lines: list[str], header: Sequence[str], delimiter: str | None,
                  comment: str, header_is_comment: bool, spath: str) -> int:
    """Index of the header line, after checking its names against ``header`` (in order)."""
    hdr_idx = None
    for i, ln in enumerate(all_lines):
        s = ln.strip()
        if not s:
            continue
        if s.startswith(comment) and not header_is_comment:
            continue
        hdr_idx = i
        break
    if hdr_idx is None:
        raise InputError("no header line", path=spath)
    s = all_lines[hdr_idx].strip()
    if header_is_comment:
        if not s.startswith(comment):
            raise InputError(f"missing '{comment}' header line with column names",
                             path=spath, line=hdr_idx + 1)
        s = s[len(comment):]
    got = [g for g in _split(s, delimiter) if g]
    want = [norm_name(h) for h in header]
    have = [norm_name(g) for g in got]
    for k, w in enumerate(want):
        if k >= len(have):
            raise InputError(f"missing column (header has only {len(have)} columns)",
                             path=spath, line=hdr_idx + 1, column=header[k])
        if have[k] != w:
            if w in have:
                raise InputError(f"column in position {have.index(w) + 1}, expected {k + 1}",
                                 path=spath, line=hdr_idx + 1, column=header[k])
            raise InputError(f"missing or renamed column (found '{got[k]}')",
                             path=spath, line=hdr_idx + 1, column=header[k])
    return hdr_idx


def _data_rows(all_lines: list[str], first: int, comment: str, spath: str
               ) -> tuple[list[int], list[str]]:
    """(1-based line numbers, stripped text) of the non-empty, non-comment lines from ``first``."""
    data_idx, data = [], []
    for i in range(first, len(all_lines)):
        s = all_lines[i].strip()
        if not s or s.startswith(comment):
            continue
        data_idx.append(i + 1)
        data.append(s)
    if not data:
        raise InputError("no data rows (empty table)", path=spath)
    return data_idx, data


def _parse_rows(data: list[str], ncol: int, delimiter: str | None) -> np.ndarray | None:
    """The rows as an (n, ncol) float64 array, or None if any row does not parse cleanly."""
    arr = None
    try:
        if delimiter is None:
            flat = np.array(" ".join(data).split(), dtype=np.float64)
        else:
            flat = np.array([t for ln in data for t in ln.split(delimiter)], dtype=np.float64)
        if flat.size == ncol * len(data):
            arr = flat.reshape(len(data), ncol)
    except ValueError:
        arr = None
    if arr is not None:
        # a wrong column count can still add up to the right total: check every line
        if delimiter is None:
            ok = all(n == ncol for n in map(len, map(str.split, data)))
        else:
            ok = all(ln.count(delimiter) == ncol - 1 for ln in data)
        if not ok:
            arr = None
    return arr


def _to_table(arr: np.ndarray, columns: Sequence[str], display: list[str], data: list[str],
              data_idx: list[int], delimiter: str | None, allow_nan: bool,
              spath: str) -> NumericTable:
    """Named float64 columns; a non-finite value is an error naming its line and column."""
    out = NumericTable()
    out.path = spath
    out.lines = np.asarray(data_idx, dtype=np.int64)
    for k, name in enumerate(columns):
        col = np.ascontiguousarray(arr[:, k])
        if not allow_nan:
            bad = ~np.isfinite(col)
            if bad.any():
                r = int(np.flatnonzero(bad)[0])
                raise InputError(f"non-finite value '{_split(data[r], delimiter)[k]}'",
                                 path=spath, line=data_idx[r], column=display[k])
        out[name] = col
    return out


def _diagnose(data, data_idx, columns, delimiter, spath) -> None:
    ncol = len(columns)
    for r, s in enumerate(data):
        toks = _split(s, delimiter)
        if len(toks) != ncol:
            hint = " (truncated file?)" if r == len(data) - 1 and len(toks) < ncol else ""
            raise InputError(f"has {len(toks)} fields, expected {ncol}{hint}",
                             path=spath, line=data_idx[r])
        for k, t in enumerate(toks):
            try:
                float(t)
            except ValueError:
                raise InputError(f"non-numeric value '{t}'", path=spath, line=data_idx[r],
                                 column=columns[k]) from None


def read_csv_table(
    path: str | os.PathLike,
    required: Sequence[str],
    *,
    numeric: Sequence[str] = (),
    optional: Sequence[str] = (),
    text: str | None = None,
    index_col: bool = False,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Read a CSV file with a header into columns.

    Parameters
    ----------
    required
        Columns that must be present (exact header names, case-insensitive).
    numeric
        Columns converted to float64 (empty field -> NaN; anything else that is
        not a number is an error naming line and column).
    optional
        Columns read if present.
    index_col
        The first column is an unnamed row index (pandas ``to_csv`` style) and
        is dropped.

    Returns
    -------
    (columns, lines)
        Column arrays (strings as ``str`` arrays) and the 1-based line of each row.
    """
    spath = os.fspath(path)
    if text is None:
        text = read_text(path)
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
        raise InputError(f"malformed CSV: {exc}", path=spath, line=reader.line_num) from None
    line_no = list(range(1, len(rows) + 1))
    keep = [k for k, r in enumerate(rows) if r and any(c.strip() for c in r)]
    rows = [rows[k] for k in keep]
    line_no = [line_no[k] for k in keep]
    if not rows:
        raise InputError("empty file", path=spath)
    hdr = [h.strip() for h in rows[0]]
    lower = {h.lower(): i for i, h in enumerate(hdr)}
    for name in required:
        if name.lower() not in lower:
            raise InputError("missing or renamed column", path=spath, line=line_no[0], column=name)
    body = rows[1:]
    lines = np.asarray(line_no[1:], dtype=np.int64)
    if not body:
        raise InputError("no data rows (empty table)", path=spath)
    nh = len(hdr)
    for r, row in enumerate(body):
        if len(row) != nh:
            hint = " (truncated file?)" if r == len(body) - 1 and len(row) < nh else ""
            raise InputError(f"has {len(row)} fields, expected {nh}{hint}", path=spath,
                             line=int(lines[r]))
    out: dict[str, np.ndarray] = {}
    wanted = list(required) + [o for o in optional if o.lower() in lower]
    num = {n.lower() for n in numeric}
    for name in wanted:
        j = lower[name.lower()]
        vals = [row[j].strip() for row in body]
        if name.lower() in num:
            col = np.empty(len(vals), dtype=np.float64)
            for r, v in enumerate(vals):
                if v == "" or v.lower() in ("none", "nan", "null"):
                    col[r] = np.nan
                    continue
                try:
                    col[r] = float(v)
                except ValueError:
                    raise InputError(f"non-numeric value '{v}'", path=spath, line=int(lines[r]),
                                     column=name) from None
            out[name] = col
        else:
            out[name] = np.asarray(vals, dtype=str)
    return out, lines
