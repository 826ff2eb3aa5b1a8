"""A real Learning Record Store for the xAPI tests: Ralph (PyPI ralph-malph) with its file-system
backend, started once per run from its own venv (``make ralph``); each test starts it empty."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

RALPH = Path(__file__).resolve().parents[2] / ".venv-ralph" / "bin" / "ralph"
SERVER = Path(__file__).with_name("ralph_server.py")
USERNAME, PASSWORD = "hoc-vien-so", "mat-khau-lrs-thu-nghiem"
HEADERS = {"X-Experience-API-Version": "1.0.3"}


@dataclass
class Lrs:
    url: str  # the xAPI endpoint, as XAPI_LRS_URL
    data_file: Path

    def statements(self) -> list[dict]:
        """Every statement the LRS holds (GET /xAPI/statements), in the order it stored them (by
        its own ``stored`` stamp: Ralph's FS backend turns ``ascending`` upside down)."""
        found, url, params = [], f"{self.url}/statements", {"limit": 100}
        while url:
            answer = requests.get(
                url, params=params, headers=HEADERS, auth=(USERNAME, PASSWORD), timeout=10
            )
            answer.raise_for_status()
            page = answer.json()
            found += page["statements"]
            more = page.get("more")  # the next page, as a URL relative to the LRS
            url, params = (urljoin(self.url, more), None) if more else (None, None)
        return sorted(found, key=lambda statement: statement["stored"])

    def empty(self) -> None:
        self.data_file.write_text("")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def lrs_server(tmp_path_factory):
    if not RALPH.exists():
        pytest.skip("Ralph LRS not installed in .venv-ralph: run `make ralph` (xAPI tests skip)")
    folder = tmp_path_factory.mktemp("lrs")
    env = {
        **os.environ,
        "RALPH_APP_DIR": str(folder),
        "RALPH_AUTH_FILE": str(folder / "auth.json"),
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder / "data"),
    }
    account = ["-A", "academy-tests", "https://lrs.example.org"]
    subprocess.run(
        [RALPH, "auth", "-u", USERNAME, "-p", PASSWORD, "-s", "all", *account, "-w"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    data = folder / "data"
    data.mkdir(exist_ok=True)
    with (folder / "ralph.log").open("wb") as log:
        process = subprocess.Popen(
            [RALPH.with_name("python"), SERVER, "127.0.0.1", str(port)],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(process, f"http://127.0.0.1:{port}", folder / "ralph.log")
            yield Lrs(f"http://127.0.0.1:{port}/xAPI", data / "fs_lrs.jsonl")
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(process, base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/__heartbeat__", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail("Ralph did not start: " + log_path.read_text()[-2000:])
        time.sleep(0.2)


@pytest.fixture
def lrs(app, lrs_server):
    """The LRS, empty, and the app pointed at it."""
    lrs_server.empty()
    app.config.update(
        XAPI_LRS_URL=lrs_server.url,
        XAPI_LRS_USERNAME=USERNAME,
        XAPI_LRS_PASSWORD=PASSWORD,
        XAPI_TIMEOUT=5,
    )
    return lrs_server
