"""Error types of bayesnu.

Every problem with user input (a file, a column, a command-line argument) is
raised as :class:`InputError`. Its message is a single line that names the
offending file, line or column and says what is wrong. The command-line
interface turns it into ``bayesnu: error: <message>`` on stderr and exit code 2,
never a traceback.
"""

from __future__ import annotations

import os


class BayesnuError(Exception):
    """Base class for all bayesnu errors."""


class InputError(BayesnuError, ValueError):
    """Malformed input: a file, column, value or argument that cannot be used.

    Parameters
    ----------
    message
        What is wrong, in one line.
    path
        File the problem was found in, if any.
    line
        1-based line number in ``path``, if known.
    column
        Column (or parameter) name, if relevant.
    """

    def __init__(
        self,
        message: str,
        path: str | os.PathLike | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.column = column
        self.reason = message
        where = []
        if self.path is not None:
            where.append(self.path if line is None else f"{self.path}:{line}")
        if column is not None:
            where.append(f"column '{column}'")
        prefix = ", ".join(where)
        text = f"{prefix}: {message}" if prefix else message
        # one line, always
        super().__init__(" ".join(str(text).split()))


class InputWarning(UserWarning):
    """Suspicious but usable input (for example duplicated events)."""
