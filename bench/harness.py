"""The benchmark harness: runs ``bench/bench_<name>.py`` modules, prints one aligned table and the
machine, and writes the same as Markdown to ``bench/out/results.md``. A benchmark that fails becomes
an "error" row: the harness always exits 0, so benchmarks never fail a test run."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
OUT_FILE = BENCH_DIR / "out" / "results.md"
COLUMNS = ("benchmark", "figure", "value", "unit", "note")


def available() -> list[str]:
    """Every benchmark, "seed" first: it makes the database the others reuse."""
    names = (p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))
    return sorted(names, key=lambda name: (name != "seed", name))


def parse_args(argv=None, single: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m bench{'.bench_' + single if single else ''}",
        description="Digital Academy benchmarks.",
    )
    if single is None:
        parser.add_argument(
            "names", nargs="*", help=f"benchmarks to run (default all): {', '.join(available())}"
        )
    parser.add_argument(
        "--learners", type=int, default=None, help="learners to seed (each benchmark has a default)"
    )
    parser.add_argument(
        "--extra-courses", type=int, default=0, help="synthetic courses added by the seed"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)
    if single is not None:
        args.names = [single]
    return args


def run_one(name: str, args) -> list[dict]:
    """The rows of one benchmark, or one "error" row saying why it could not run."""
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.bench_{name}")
        rows = list(module.run(args))
    except Exception as exc:  # noqa: BLE001 - a benchmark never fails the run
        traceback.print_exc(file=sys.stderr)
        return [
            {
                "benchmark": name,
                "figure": "error",
                "value": "",
                "unit": "",
                "note": f"{type(exc).__name__}: {exc}"[:160],
            }
        ]
    print(f"[bench] {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return [{key: row.get(key, "") for key in COLUMNS} for row in rows]


def machine() -> list[tuple[str, str]]:
    """What the figures were measured on."""
    return [
        ("CPU", _cpu_model()),
        ("cores", str(os.cpu_count())),
        ("RAM", _ram()),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", _postgres_version()),
    ]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _postgres_version() -> str:
    for tool in ("postgres", "psql"):
        path = shutil.which(tool)
        if path:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
            return out.stdout.strip() or "unknown"
    return "not installed"


def format_value(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value or "")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return (
            f"{value:,.0f}"
            if abs(value) >= 1000
            else f"{value:.3g}"
            if abs(value) < 10
            else f"{value:.1f}"
        )
    return str(value)


def _cells(rows: list[dict]) -> list[list[str]]:
    return [list(COLUMNS)] + [
        [format_value(row[c]) if c == "value" else str(row[c]) for c in COLUMNS] for row in rows
    ]


def render_text(rows: list[dict], info: list[tuple[str, str]]) -> str:
    table = _cells(rows)
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
    line = lambda r: "  ".join(  # noqa: E731 - numbers right-aligned, the rest left
        cell.rjust(w) if i == 2 else cell.ljust(w)
        for i, (cell, w) in enumerate(zip(r, widths, strict=True))
    ).rstrip()
    lines = [line(table[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in table[1:]]
    lines += [""] + [f"{key}: {value}" for key, value in info]
    return "\n".join(lines)


def render_markdown(rows: list[dict], info: list[tuple[str, str]]) -> str:
    table = _cells(rows)
    out = ["# Benchmark results", "", f"Run at {time.strftime('%Y-%m-%d %H:%M:%S %z')}.", ""]
    out += ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(COLUMNS)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in table[1:]]
    out += ["", "## Machine", ""] + [f"- {key}: {value}" for key, value in info]
    return "\n".join(out) + "\n"


def report(rows: list[dict], info: list[tuple[str, str]]) -> None:
    print(render_text(rows, info))
    try:
        OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
        OUT_FILE.write_text(render_markdown(rows, info), encoding="utf-8")
        print(f"\nWritten to {OUT_FILE}")
    except OSError as exc:
        print(f"\nCould not write {OUT_FILE}: {exc}", file=sys.stderr)


def main(argv=None, single: str | None = None) -> None:
    args = parse_args(argv, single)
    info = machine()
    unknown = [n for n in args.names if n not in available()]
    rows = [
        {"benchmark": n, "figure": "error", "value": "", "unit": "", "note": "no such benchmark"}
        for n in unknown
    ]
    for name in [n for n in (args.names or available()) if n not in unknown]:
        rows += run_one(name, args)
    report(rows, info)
    sys.exit(0)


def main_single(name: str) -> None:
    """``python -m bench.bench_<name>``: the same table for one benchmark."""
    main(single=name)
