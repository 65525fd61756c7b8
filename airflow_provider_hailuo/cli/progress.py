"""Terminal output of the ``hailuo`` command: answers, a live status line and a download progress bar.

Kept apart from the commands (and free of Airflow imports) because the rules are
about terminals, not about MiniMax:

* **Two streams.** The command's answer (task id, where the file landed, or the ``--json`` document)
  goes to stdout so it can be piped or captured; everything that only informs a watching human (the
  status line, the progress bar, warnings) goes to stderr. In ``--json`` mode, or when the video itself
  is written to stdout, stdout carries nothing else and the human lines move to stderr.
* **TTY or not.** On a terminal the status line and the progress bar are rewritten in place with
  ``\\r`` so a ten-minute wait is one line, and a ticker keeps the elapsed time moving between polls.
  In a log file (CI, cron, ``2> log``) ``\\r`` makes a mess, so each status change is its own line and
  progress is printed at most every few seconds, plus a final line.
* **Thread safety.** The ticker runs in a thread, so every write goes through one lock, and a live
  line is ended with a newline before any other line is printed, so nothing is half-overwritten.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["Console", "StatusLine", "TransferProgress", "format_elapsed", "isatty"]

Clock = Callable[[], float]


def isatty(stream: object) -> bool:
    """True for an interactive terminal; any stream without a working ``isatty`` counts as a file."""
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def format_elapsed(seconds: float) -> str:
    """``4.2s``, ``3m 05s``, ``1h 02m 03s``: short enough for a status line, exact enough for a log."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s"


class Console:
    """Where every line of the CLI goes; see the module docstring for the rules.

    :param stdout: the answer stream.
    :param stderr: the stream for live lines, notes, warnings and errors.
    :param quiet: drop the status line, the progress bar and informational notes (not answers or errors).
    :param json_mode: stdout holds only the JSON document; answers printed with :meth:`result` go to stderr.
    :param tty: override terminal detection of ``stderr`` (tests).
    """

    def __init__(
        self,
        stdout: TextIO,
        stderr: TextIO,
        *,
        quiet: bool = False,
        json_mode: bool = False,
        tty: bool | None = None,
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.quiet = quiet
        self.json_mode = json_mode
        self.tty = isatty(stderr) if tty is None else tty
        self._stdout_reserved = json_mode
        self._lock = threading.RLock()
        self._live_width = 0

    def reserve_stdout(self) -> None:
        """Keep stdout for data (the video bytes of ``--output -``): answers move to stderr."""
        self._stdout_reserved = True

    # -- writers ------------------------------------------------------------------------------------
    def result(self, text: str) -> None:
        """A line of the command's answer: stdout, unless stdout is reserved for JSON or data."""
        stream = self.stderr if self._stdout_reserved else self.stdout
        self._write_line(stream, text)

    def note(self, text: str) -> None:
        """Information for the human watching (stderr); dropped with ``--quiet``."""
        if not self.quiet:
            self._write_line(self.stderr, text)

    def warn(self, text: str) -> None:
        """A warning on stderr, shown even with ``--quiet``: it may change what the user does next."""
        self._write_line(self.stderr, f"warning: {text}")

    def error(self, text: str) -> None:
        """The one error line of a failed command (stderr)."""
        self._write_line(self.stderr, f"error: {text}")

    def emit_json(self, document: Any) -> None:
        """The ``--json`` answer: exactly one JSON document on stdout."""
        with self._lock:
            self._end_live()
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
            self.stdout.flush()

    def live(self, text: str) -> None:
        """A status or progress line: rewritten in place on a terminal, one line each otherwise."""
        if self.quiet:
            return
        with self._lock:
            if self.tty:
                pad = " " * max(0, self._live_width - len(text))
                self.stderr.write("\r" + text + pad)
                self.stderr.flush()
                self._live_width = len(text)
            else:
                self.stderr.write(text + "\n")
                self.stderr.flush()

    def end_live(self) -> None:
        """Leave the current live line on screen and move below it."""
        with self._lock:
            self._end_live()

    # -- internals ----------------------------------------------------------------------------------
    def _write_line(self, stream: TextIO, text: str) -> None:
        with self._lock:
            self._end_live()
            stream.write(text + "\n")
            stream.flush()

    def _end_live(self) -> None:
        if self._live_width:
            self.stderr.write("\n")
            self.stderr.flush()
            self._live_width = 0


class StatusLine:
    """The ``status: Processing  elapsed 2m 13s`` line shown while a video is generated.

    Use as a context manager; :meth:`update` is the hook's ``on_status`` callback (called on each status
    change). On a terminal a daemon ticker redraws the line every ``tick`` seconds so the clock moves
    between polls (which may be minutes apart); elsewhere one line is printed per change.

    :param started: ``clock()`` reading at submission, so the time shown is the video's age, not the wait's.
    """

    def __init__(
        self,
        console: Console,
        task_id: str,
        *,
        started: float | None = None,
        clock: Clock = time.monotonic,
        tick: float = 0.5,
    ) -> None:
        self.console = console
        self.task_id = task_id
        self.clock = clock
        self.started = clock() if started is None else started
        self.tick = tick
        self.status: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def elapsed(self) -> float:
        return max(0.0, self.clock() - self.started)

    def render(self) -> str:
        status = self.status or "submitted"
        if self.console.tty:
            return f"status: {status:<10}  elapsed {format_elapsed(self.elapsed):<10}  task {self.task_id}"
        return f"status: {status} (elapsed {format_elapsed(self.elapsed)})"

    def update(self, status: str) -> None:
        self.status = status
        self.console.live(self.render())

    def __enter__(self) -> StatusLine:
        if self.console.tty and not self.console.quiet:
            self.console.live(self.render())
            self._thread = threading.Thread(target=self._run, name="hailuo-status-line", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.console.end_live()

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            self.console.live(self.render())


class TransferProgress:
    """A progress callback ``(position, total)`` for downloads: bytes, percent, rate, and a bar on a TTY.

    Redraws are throttled (``tty_interval`` on a terminal, ``plain_interval`` in a log) so a fast local
    download does not spend its time printing; :meth:`finish` always prints the final state once.
    """

    BAR_WIDTH = 24

    def __init__(
        self,
        console: Console,
        label: str = "download",
        *,
        clock: Clock = time.monotonic,
        tty_interval: float = 0.1,
        plain_interval: float = 5.0,
    ) -> None:
        # Imported here so this module stays importable without Airflow (download.py needs it).
        from airflow_provider_hailuo.download import format_bytes

        self.format_bytes = format_bytes
        self.console = console
        self.label = label
        self.clock = clock
        self.interval = tty_interval if console.tty else plain_interval
        self.started = clock()
        # In a log, the first line waits one interval: a short download then prints just its final line.
        self._last_draw: float | None = None if console.tty else self.started
        self._drawn: tuple[int, int | None] | None = None
        self.position = 0
        self.total: int | None = None
        self._finished = False

    def __call__(self, position: int, total: int | None) -> None:
        self.position, self.total = position, total
        now = self.clock()
        if self._last_draw is not None and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self._draw(now)

    def finish(self) -> None:
        """Draw the final state (once) and end the live line."""
        if self._finished:
            return
        self._finished = True
        if self.total is None:
            self.total = self.position
        if self._drawn != (self.position, self.total):
            self._draw(self.clock())
        self.console.end_live()

    def _draw(self, now: float) -> None:
        self._drawn = (self.position, self.total)
        self.console.live(self.render(now))

    def render(self, now: float) -> str:
        fmt = self.format_bytes
        elapsed = max(now - self.started, 1e-6)
        rate = f"{fmt(int(self.position / elapsed))}/s"
        if self.total:
            fraction = min(1.0, self.position / self.total)
            amount = f"{fmt(self.position)} / {fmt(self.total)}"
            if self.console.tty:
                filled = round(fraction * self.BAR_WIDTH)
                bar = "#" * filled + "-" * (self.BAR_WIDTH - filled)
                return f"{self.label} [{bar}] {100 * fraction:5.1f}%  {amount}  {rate}"
            return f"{self.label}: {100 * fraction:.0f}% ({amount}) at {rate}"
        return f"{self.label}: {fmt(self.position)} at {rate}"
