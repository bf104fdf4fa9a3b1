"""Files written whole or not at all: a crash, a kill or a full disk never leaves half a file.

`atomic_write` writes a file through a temporary name beside it and renames it into place (a rename
within one directory is atomic); `atomic_output` does the same for a report written as a stream
(`PATH.part`, renamed when complete, removed when the writing fails or the process is terminated).
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def atomic_write(path: Path, write: Callable[[str], object], *, mode: int | None = None) -> None:
    """Call `write(temporary_path)` to write the file's content, then move it to `path`. The
    temporary file is removed when `write` fails; `mode` sets its permissions before it is visible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, *, mode: int | None = None) -> None:
    """`text` (UTF-8) as the whole content of `path`, atomically."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), mode=mode)


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[str]]:
    """Write to PATH.part and rename when complete: a crash never leaves a truncated report. A SIGTERM
    while writing (a `kill`) cleans up like Ctrl-C (the handler is there only while writing)."""
    part = path.with_name(path.name + ".part")
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if main_thread else None
    try:
        with part.open("w", encoding="utf-8", newline="") as handle:
            yield handle
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    os.replace(part, path)


def _exit_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)
