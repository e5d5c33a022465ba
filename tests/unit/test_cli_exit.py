"""Every way a command can end maps to a documented exit code and at most one line on stderr."""

from __future__ import annotations

import errno
from collections.abc import Callable

import pytest

from olm_gather import _cli, _errors


def _raises(error: BaseException) -> Callable[[list[str]], int]:
    def command(_args: list[str]) -> int:
        raise error

    return command


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (_errors.ConfigError("kubeconfig x: bad"), 2, "error: kubeconfig x: bad"),
        (_errors.OutputError("writing a failed: No space left on device"), 2, "error: writing a failed"),
        (_errors.OutputClosedError("the reader went away"), 141, ""),
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), 141, ""),
        (KeyboardInterrupt(), 130, "error: interrupted"),
        (RuntimeError("boom\nsecond line"), 3, "error: unexpected RuntimeError: boom second line (a bug: run with -v"),
    ],
)
def test_exit_codes_and_one_line(
    error: BaseException, code: int, line: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_cli, "_quiet_stdout", lambda: None)  # pytest owns stdout here
    assert _cli._guarded(_raises(error), []) == code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert lines == ([] if not line else lines[:1]) and len(lines) <= 1
    if line:
        assert lines[0].startswith(line)
    assert "Traceback" not in err


def test_verbose_shows_the_traceback_of_a_bug(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli._guarded(_raises(RuntimeError("boom")), ["-v"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("error: unexpected RuntimeError: boom")
