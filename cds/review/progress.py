"""Progress of a review: a rich bar on a terminal, plain log lines to stderr otherwise."""

from __future__ import annotations

import sys
import time
from typing import IO, Protocol


class Reporter(Protocol):
    """What the engine tells the user while it works."""

    def log(self, message: str) -> None: ...

    def start(self, patients: int, done: int) -> None: ...

    def advance(self, patients: int, resources: int) -> None: ...

    def close(self) -> None: ...


class LogReporter:
    """Plain lines (at most one every ``every`` seconds, and a last one); for logs and CI."""

    def __init__(self, stream: IO[str] | None = None, every: float = 2.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.total = self.done = self.resources = 0
        self.started = self.last = time.monotonic()
        self.first_done = 0
        self.printed = -1

    def log(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    def start(self, patients: int, done: int) -> None:
        self.total, self.done, self.first_done = patients, done, done
        self.started = self.last = time.monotonic()

    def advance(self, patients: int, resources: int) -> None:
        self.done += patients
        self.resources += resources
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last, self.printed = now, self.done
            self.log(self.line(now))

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = (self.done - self.first_done) / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        return (
            f"reviewed {self.done}/{self.total} patients, {self.resources} resources, "
            f"{rate:.0f} patients/s, {self.resources / elapsed:.0f} resources/s, "
            f"ETA {eta:.0f} s"
        )

    def close(self) -> None:
        if self.printed != self.done:
            self.log(self.line(time.monotonic()))


class RichReporter:
    """A rich progress bar: patients, resources, rate and ETA."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]reviewing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "patients, {task.fields[resources]} resources, {task.fields[rate]} patients/s"
            ),
            TimeRemainingColumn(),
            console=self.console,
            auto_refresh=False,
        )
        self.task = self.progress.add_task("review", total=0, resources=0, rate="-")
        self.resources = 0
        self.started = time.monotonic()
        self.first_done = 0

    def log(self, message: str) -> None:
        self.console.print(message)

    def start(self, patients: int, done: int) -> None:
        self.first_done = done
        self.started = time.monotonic()
        self.progress.update(self.task, total=patients, completed=done)
        self.progress.start()
        self.progress.refresh()

    def advance(self, patients: int, resources: int) -> None:
        self.resources += resources
        done = self.progress.tasks[0].completed + patients
        rate = (done - self.first_done) / max(time.monotonic() - self.started, 1e-9)
        self.progress.update(
            self.task, completed=done, resources=self.resources, rate=f"{rate:.0f}"
        )
        self.progress.refresh()

    def close(self) -> None:
        self.progress.refresh()
        self.progress.stop()


def reporter_for(stream: IO[str] | None = None) -> Reporter:
    """A bar on a terminal, log lines otherwise."""
    target = stream if stream is not None else sys.stderr
    return RichReporter() if target.isatty() else LogReporter(target)
