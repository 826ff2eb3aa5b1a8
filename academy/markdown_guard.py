"""Markdown rendering with a bounded cost: Python-Markdown and the sanitiser run in a child
process (``markdown_worker.py``) that gives up after a fixed amount of CPU time.

A text the child cannot convert in time (only hostile shapes come near: an ordinary 200 KB lesson
takes ~0.15 s) is shown as plain paragraphs of escaped text instead, so a save, a preview or an
import always finishes, in bounded time, and nothing half-written is stored. Idle children are
kept for the next conversion; a child that gave up is replaced by a fresh one.
"""

from __future__ import annotations

import atexit
import contextlib
import html
import logging
import os
import re
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path

from academy.markdown_worker import GAVE_UP, HEADER, clean_html

log = logging.getLogger(__name__)

CPU_SECONDS = 0.3  # the child's budget for one conversion (an ordinary 200 KB lesson: ~0.13 s)
WALL_SECONDS = 5.0  # the parent's own limit, for a machine so loaded that CPU time lags far behind
KEEP_IDLE = 4
WORKER = Path(__file__).with_name("markdown_worker.py")


class GaveUp(Exception):
    """The child did not answer within its budget (or died)."""


class _Child:
    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(WORKER), str(CPU_SECONDS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def convert(self, text: str) -> str:
        body = text.encode("utf-8", "surrogatepass")
        try:
            self.proc.stdin.write(HEADER.pack(len(body)) + body)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise GaveUp from exc
        deadline = time.monotonic() + WALL_SECONDS
        size = HEADER.unpack(self._read(HEADER.size, deadline))[0]
        return self._read(size, deadline).decode("utf-8", "surrogatepass")

    def _read(self, size: int, deadline: float) -> bytes:
        chunks, fd = [], self.proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while size:
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    raise GaveUp("timeout")
                chunk = os.read(fd, min(size, 1 << 20))
                if not chunk:
                    raise GaveUp(f"exit {self.proc.poll()}")
                chunks.append(chunk)
                size -= len(chunk)
        return b"".join(chunks)

    def close(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        try:
            self.proc.wait(timeout=WALL_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _Pool:
    """Idle children of this process (a fork, e.g. a gunicorn worker, starts its own)."""

    def __init__(self):
        self.lock, self.idle, self.pid = threading.Lock(), [], os.getpid()

    def take(self) -> _Child:
        with self.lock:
            if self.pid != os.getpid():  # inherited across fork: those pipes belong to the parent
                self.idle, self.pid = [], os.getpid()
            if self.idle:
                return self.idle.pop()
        return _Child()

    def give_back(self, child: _Child) -> None:
        with self.lock:
            if len(self.idle) < KEEP_IDLE and self.pid == os.getpid():
                self.idle.append(child)
                return
        child.close()

    def close_all(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for child in idle:
            child.close()


_pool = _Pool()
atexit.register(_pool.close_all)


def convert_bounded(text: str) -> str:
    """``text`` rendered and sanitised by the child, or, when that would cost more than the
    budget, the text as escaped plain paragraphs (sanitised here: linear, no nesting)."""
    child = _pool.take()
    try:
        result = child.convert(text)
    except GaveUp as exc:
        child.close(kill=True)
        _pool.give_back(_Child())  # start its replacement now, so the next caller finds it warm
        gave_up = child.proc.returncode == GAVE_UP
        log.warning(
            "markdown conversion of %d characters refused (%s)",
            len(text),
            "over its CPU budget" if gave_up else exc,
        )
        return clean_html(plain_paragraphs(text))
    _pool.give_back(child)
    return result


def plain_paragraphs(text: str) -> str:
    """The text as it was typed: escaped, a paragraph per blank-line-separated block."""
    blocks = (block.strip("\n") for block in re.split(r"\n[ \t]*\n", text))
    return "\n".join(
        f"<p>{html.escape(block, quote=False)}</p>".replace("\n", "<br>\n")
        for block in blocks
        if block.strip()
    )
