"""The periodic jobs of CELERY_BEAT_SCHEDULE, run in-process: `manage.py run_scheduler`.

In production `celery -A config beat` sends each due entry to the workers. With no broker (the
embedded default, where tasks run in-process) nothing would run them, so this small scheduler does,
from the same schedule: it wakes when the next entry is due, runs it in this process, and records
when each entry last ran in SCHEDULER_STATE_FILE, so a restart neither runs everything again nor
skips a day. An entry that never ran is due at once. Due is decided by Celery's own schedule
objects (a number of seconds, a timedelta or a crontab), as beat decides it. A job that fails is
logged and counts as run; the scheduler goes on with the others. Every job is idempotent and
catches up after a missed run, so a run late or twice does no harm.

One scheduler at a time: it holds an exclusive lock on the state file's `.lock` while it runs.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from celery import Celery
from celery.schedules import maybe_schedule

logger = logging.getLogger("pledgeproof.scheduler")

# However far away the next entry is, look again at least this often (seconds).
MAX_SLEEP = 60.0


class SchedulerBusy(Exception):
    """Another scheduler holds the lock on this state file."""


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    schedule: Any  # celery.schedules.schedule or crontab
    args: tuple
    kwargs: dict


def entries_of(app: Celery) -> list[Entry]:
    """The entries of the app's beat schedule (CELERY_BEAT_SCHEDULE)."""
    return [
        Entry(
            name=name,
            task=spec["task"],
            schedule=maybe_schedule(spec["schedule"], app=app),
            args=tuple(spec.get("args", ())),
            kwargs=dict(spec.get("kwargs", {})),
        )
        for name, spec in sorted(app.conf.beat_schedule.items())
    ]


class StateFile:
    """When each entry last ran, as JSON; replaced whole on every write, so never half-written."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict[str, datetime]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {name: datetime.fromisoformat(value) for name, value in raw["last_run_at"].items()}
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            logger.warning(
                "Scheduler state %s unreadable (%s); every entry counts as never run", self.path, exc
            )
            return {}

    def save(self, last_run_at: dict[str, datetime]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"last_run_at": {name: when.isoformat() for name, when in sorted(last_run_at.items())}}
        fd, scratch = tempfile.mkstemp(prefix=".scheduler-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2)
                out.flush()
                os.fsync(out.fileno())
            os.replace(scratch, self.path)
        except BaseException:
            Path(scratch).unlink(missing_ok=True)
            raise

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SchedulerBusy(f"Another scheduler is running with {self.path}.") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class Scheduler:
    def __init__(self, app: Celery, state: StateFile):
        self.app = app
        self.state = state
        self.entries = entries_of(app)
        self.last_run_at = state.load()
        self.stopping = threading.Event()

    def run_due(self) -> float:
        """Run every entry that is due, once each; return the seconds until one may be due next."""
        wait = MAX_SLEEP
        for entry in self.entries:
            if self.stopping.is_set():
                break
            last = self.last_run_at.get(entry.name)
            if last is None or entry.schedule.is_due(last).is_due:
                started = self.app.now()
                self._run(entry)
                self.last_run_at[entry.name] = started
                self.state.save(self.last_run_at)
                last = started
            wait = min(wait, max(0.0, float(entry.schedule.is_due(last).next)))
        return wait

    def run_forever(self) -> None:
        logger.info(
            "Scheduler running %s in-process (state in %s)",
            ", ".join(entry.name for entry in self.entries) or "no entries",
            self.state.path,
        )
        while not self.stopping.is_set():
            wait = self.run_due()
            self.stopping.wait(max(wait, 1.0))
        logger.info("Scheduler stopped")

    def stop(self, *_: Any) -> None:
        """Finish the job that is running, if any, then stop (a signal handler)."""
        self.stopping.set()

    def _run(self, entry: Entry) -> None:
        task = self.app.tasks.get(entry.task)
        if task is None:
            logger.error("Scheduled entry %s names an unknown task %s; skipped", entry.name, entry.task)
            return
        logger.debug("Running %s (%s)", entry.name, entry.task)
        try:
            result = task.apply(args=entry.args, kwargs=entry.kwargs, throw=True)
        except Exception:  # noqa: BLE001 - one failing job must not stop the others
            logger.exception("Scheduled entry %s failed; it runs again at its next time", entry.name)
        else:
            # Most runs find nothing to do (the outbox every minute); only work done is worth a line.
            level = logging.INFO if result.result else logging.DEBUG
            logger.log(level, "%s done: %r", entry.name, result.result)
