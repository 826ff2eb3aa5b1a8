"""Certificate PDFs: a warm single render (median, p95), 1,000 distinct certificates rendered into
a ZIP as the bulk job and the backfill do, and the process RSS over those renders (should stay
flat)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import zipfile

import psutil

from academy.certificates.render import has_fast_subsetting, render_certificate_pdf

SINGLE, BULK = 50, 1000
NAMES = (
    "Nguyễn Thị Hồng Nhung",
    "Trần Văn Đức",
    "Lê Hoàng Yến",
    "Phạm Quốc Việt",
    "Võ Thị Ánh Tuyết",
)


def sample(n: int) -> dict:
    """Plain data shaped as services.certificate_data makes it."""
    return {
        "serial": f"HVS-2026-{n:06d}",
        "full_name": NAMES[n % len(NAMES)],
        "unit_name": f"Phường {n % 126 + 1}",
        "course_title": "Lãnh đạo bằng dữ liệu trong chuyển đổi số khu vực công",
        "hours": 24,
        "completed_on": "26/11/2026",
        "place_date": "Thành phố Hồ Chí Minh, ngày 26 tháng 11 năm 2026",
        "issuer_name": "PGS.TS. Nguyễn Văn A",
        "issuer_title": "Giám đốc Học viện Số",
        "organisation": "Học viện Số",
        "organisation_parent": "",
        "verify_url": f"https://hocvienso.example.vn/verify/{os.urandom(24).hex()[:32]}",
    }


def run(args) -> list[dict]:
    quick = getattr(args, "quick", False)
    single, bulk = (10, 100) if quick else (SINGLE, BULK)
    subset = "with" if has_fast_subsetting() else "WITHOUT"
    render_certificate_pdf(sample(0))  # cold: fonts, stylesheet, imports
    times, cpu = [], []
    for n in range(single):
        started, cpu_started = time.perf_counter(), time.process_time()
        render_certificate_pdf(sample(n))
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    rows = [
        _row(
            "warm single render, median",
            statistics.median(times),
            "ms",
            f"{single} renders; target < 50 ms; {subset} libharfbuzz-subset",
        ),
        _row(
            "warm single render, p95",
            sorted(times)[int(0.95 * (len(times) - 1))],
            "ms",
            f"{single} renders",
        ),
        _row(
            "warm single render, CPU median",
            statistics.median(cpu),
            "ms",
            "process CPU time: less sensitive to a busy machine",
        ),
    ]
    return rows + _bulk(render_certificate_pdf, bulk)


def _bulk(render, count: int) -> list[dict]:
    process = psutil.Process()
    rss = []
    with (
        tempfile.NamedTemporaryFile(suffix=".zip") as target,  # on disk, as the job writes it
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive,
    ):
        started, cpu_started = time.perf_counter(), time.process_time()  # renders only
        for n in range(1, count + 1):
            pdf = render(sample(n))
            archive.writestr(f"HVS-2026-{n:06d}.pdf", pdf)
            if n % max(1, count // 10) == 0:
                rss.append(process.memory_info().rss / 2**20)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        size = target.tell()
    return [
        _row(
            f"{count:,} certificates into a ZIP",
            elapsed,
            "s",
            f"target < 120 s for 1,000; ZIP {size / 2**20:.1f} MiB",
        ),
        _row(f"{count:,} certificates, CPU time", cpu, "s", "process CPU time"),
        _row("bulk throughput", count / elapsed, "PDF/s", "one process; RQ workers scale it out"),
        _row("RSS after 10% of renders", rss[0], "MiB", ""),
        _row(
            "RSS after all renders",
            rss[-1],
            "MiB",
            f"growth {rss[-1] - rss[0]:+.1f} MiB over {count - count // 10:,} renders",
        ),
    ]


def _row(figure: str, value: float, unit: str, note: str) -> dict:
    return {
        "benchmark": "certificates",
        "figure": figure,
        "value": round(value, 1),
        "unit": unit,
        "note": note,
    }


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("certificates")
