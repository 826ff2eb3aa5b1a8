"""One background thread per app and kind of work, for delivery runs that must not block a page
(mail, xAPI): at most one run at a time; a kick during a run makes it go round once more; a
delayed kick is one timer, the earliest wins."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Runner:
    def __init__(self, app, work: Callable, name: str):
        self.app, self.work, self.name = app, work, name
        self.lock = threading.Lock()
        self.busy = False
        self.again = False
        self.thread: threading.Thread | None = None
        self.timer: threading.Timer | None = None
        self.timer_at = 0.0

    def kick(self, delay: float = 0) -> None:
        if delay > 0:
            self._later(delay)
            return
        with self.lock:
            if self.busy:
                self.again = True
                return
            self.busy = True
            # Not a daemon: a command that queued work (an import, the reminders) ends only once
            # it is handed over, instead of leaving it claimed until the lease runs out.
            self.thread = threading.Thread(target=self._work, name=self.name)
        self.thread.start()

    def _later(self, delay: float) -> None:
        at = time.monotonic() + delay
        with self.lock:
            if self.timer is not None and self.timer.is_alive() and self.timer_at <= at:
                return
            if self.timer is not None:
                self.timer.cancel()
            self.timer, self.timer_at = threading.Timer(delay, self.kick), at
            self.timer.daemon = True
            self.timer.start()

    def _work(self) -> None:
        while True:
            self.work(self.app)
            with self.lock:
                if not self.again:
                    self.busy = False
                    return
                self.again = False

    def wait(self, timeout: float) -> bool:
        """Until the current run (and any it owes) ends; False if still busy after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                thread, busy = self.thread, self.busy
            if not busy:
                return True
            thread.join(max(0.0, min(0.1, deadline - time.monotonic())))
        return not self.busy

    def stop(self) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()


_runners_lock = threading.Lock()


def runner_for(app, name: str, work: Callable) -> Runner:
    """This process's runner of ``work(app)`` called ``name`` for ``app``, made on first use."""
    with _runners_lock:
        key = f"academy_runner_{name}"
        runner = app.extensions.get(key)
        if runner is None:
            runner = app.extensions[key] = Runner(app, work, name)
        return runner
