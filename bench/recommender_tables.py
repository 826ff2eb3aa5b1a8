"""Run `flask recommender evaluate` on the shared learner files and write the tables into README.md.

    python -m bench.recommender_tables [--data-dir DIR] [--folds 5] [--seed 7] [--readme README.md]

Each file is evaluated with the same command a reader can run by hand (printed above its table); the
tables replace whatever stands between the two marker comments of the README's recommender section,
and the CSVs go to `bench/out/`. Not part of `python -m bench` (it takes minutes per file).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = ["assistments15.csv", "assistments17_first_attempt.csv", "algebra05.csv"]
START, END = "<!-- recommender-tables:start -->", "<!-- recommender-tables:end -->"


def evaluate(path: str, folds: int, seed: int, out_dir: str) -> tuple[str, str]:
    """(the command as a reader would type it, its Markdown output)."""
    csv_out = os.path.join(out_dir, os.path.basename(path))
    args = [
        "recommender",
        "evaluate",
        "--data",
        path,
        "--folds",
        str(folds),
        "--seed",
        str(seed),
        "--markdown",
    ]
    env = dict(os.environ, ACADEMY_ENV_NAME=os.environ.get("ACADEMY_ENV_NAME", "development"))
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args, "--csv", csv_out],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{path}: {result.stderr[-500:]}")
    command = "flask --app wsgi " + " ".join(args[:3] + [os.path.relpath(path, ROOT)] + args[4:])
    elapsed = time.perf_counter() - started
    return f"{command}   # {elapsed / 60:.1f} min on this machine", result.stdout


def section(results: list[tuple[str, str, str]]) -> str:
    parts = [START]
    for name, command, output in results:
        # A Markdown table needs a blank line above it, after evaluate's lines about the data.
        table = output.strip().replace("\n| algorithm |", "\n\n| algorithm |", 1)
        parts += [f"#### `{name}`", "", "```", command, "```", "", table, ""]
    parts.append(END)
    return "\n".join(parts)


def write_readme(readme: str, text: str) -> None:
    with open(readme, encoding="utf-8") as handle:
        content = handle.read()
    if START in content and END in content:
        content = re.sub(
            re.escape(START) + ".*?" + re.escape(END), lambda _m: text, content, flags=re.DOTALL
        )
    else:
        content = content.rstrip("\n") + "\n\n" + text + "\n"
    with open(readme, "w", encoding="utf-8") as handle:
        handle.write(content)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", default=os.path.join(ROOT, "..", "shared", "data", "learners")
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    args = parser.parse_args(argv)
    out_dir = os.path.join(ROOT, "bench", "out")
    os.makedirs(out_dir, exist_ok=True)
    results = []
    for name in FILES:
        path = os.path.normpath(os.path.join(args.data_dir, name))
        if not os.path.exists(path):
            print(f"skipped {name}: not found in {args.data_dir}")
            continue
        command, output = evaluate(path, args.folds, args.seed, out_dir)
        print(command, output, sep="\n")
        results.append((name, command, output))
    if results:
        write_readme(args.readme, section(results))
        print(f"tables written to {args.readme}")


if __name__ == "__main__":
    main()
