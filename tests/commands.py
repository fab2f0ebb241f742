"""Run a management command as `python manage.py ...` would, in this process (so it sees the
test database): real argument parsing, real exit status, what it printed on stdout and
stderr. A command that dies with a traceback fails the test that ran it."""

from __future__ import annotations

import contextlib
import io
import sys
import traceback
from dataclasses import dataclass
from unittest import mock

from django.core.management import ManagementUtility
from django.db import connections


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def manage(*argv: str, stdin: bytes | str = b"") -> Ran:
    """``manage.py *argv`` with ``stdin`` as standard input (bytes are given as they are, so
    input that is not UTF-8 can be tried). Asserts that no traceback came out."""
    if isinstance(stdin, str):
        stdin = stdin.encode("utf-8")
    out, err = io.StringIO(), io.StringIO()
    fake_stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    code = 0
    old_stdin = sys.stdin
    sys.stdin = fake_stdin
    try:
        # manage.py closes the connections when a command ends; here they hold the test's
        # transaction, so they stay open.
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            mock.patch.object(connections, "close_all"),
        ):
            try:
                ManagementUtility(["manage.py", *argv]).execute()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:  # what `manage.py` would print as a traceback
                err.write(traceback.format_exc())
                code = -1
    finally:
        sys.stdin = old_stdin
    ran = Ran(code=code, out=out.getvalue(), err=err.getvalue())
    assert "Traceback" not in ran.err, ran.err
    assert code != -1, ran.err
    return ran
