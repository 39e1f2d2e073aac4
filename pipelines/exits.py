"""The exit statuses of every command (``almodon …`` and ``scrapy crawl almodon``), and the one
line each failure prints. README, "Exit statuses", is the table for users.

    0 ok · 1 error · 2 another job holds the database · 3 blocked by the site · 4 health flagged a drop

:func:`describe` turns an exception that reached the top of a command into ``(status, line)``:
never a traceback for a failure the user can act on.
"""

from __future__ import annotations

import errno
import sqlite3

OK, ERROR, LOCKED, BLOCKED, FLAGGED = 0, 1, 2, 3, 4
INTERRUPTED = "interrupted; run it again to continue"
DISK_FULL = "no space left on device{where}: free some space and run it again (nothing stored was lost)"


class Failure(Exception):
    """A failure with its line and exit status, raised where the cause is known."""

    def __init__(self, line: str, status: int = ERROR) -> None:
        super().__init__(line)
        self.status = status


def is_fatal(exc: BaseException) -> bool:
    """Errors that stop a job rather than skip a page: a full disk, a damaged or read-only
    database, an I/O error."""
    if isinstance(exc, sqlite3.DatabaseError):
        return getattr(exc, "sqlite_errorname", "") in {"SQLITE_FULL", "SQLITE_CORRUPT", "SQLITE_NOTADB",
                                                         "SQLITE_READONLY", "SQLITE_IOERR"}
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO)


def describe(exc: BaseException, db: str | None = None) -> tuple[int, str] | None:
    """``(status, line)`` for an exception a user can act on, ``None`` for a bug (let it raise)."""
    from .lock import Locked
    from .store import ArchiveError, damaged

    where = f" (writing {db})" if db else ""
    if isinstance(exc, Failure):
        return exc.status, str(exc)
    if isinstance(exc, Locked):
        return LOCKED, str(exc)
    if isinstance(exc, ArchiveError):
        return ERROR, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return ERROR, INTERRUPTED
    if isinstance(exc, sqlite3.DatabaseError):
        name = getattr(exc, "sqlite_errorname", "")
        if name == "SQLITE_FULL":
            return ERROR, DISK_FULL.format(where=where)
        if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
            return ERROR, str(damaged(db or "the database"))
        if name == "SQLITE_READONLY":
            return ERROR, f"{db or 'the database'} is read-only: this command writes to it"
        return ERROR, f"database error ({db or 'the database'}): {exc}"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ERROR, DISK_FULL.format(where=f" ({exc.filename})" if exc.filename else where)
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return ERROR, f"cannot write {exc.filename or db or 'a file'}: {exc.strerror}"
    return None
