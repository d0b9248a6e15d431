"""Benchmark of ``cds review`` (local engine) against the floor of reading the same files.

    .venv/bin/python bench/review.py            # 1,000 patients
    .venv/bin/python bench/review.py --big      # also 100,000 patients (several minutes)

For each population: the floor (orjson parse of every line + grouping raw lines by patient, one
process), then the review with 1 worker and with every core. Each review runs as a child
process so its peak RSS (the largest process of its tree) is measured cleanly. Figures are
printed next to the targets: throughput at least half the floor's, and under 1 GB for 100k
patients. Nothing is asserted: timings depend on the machine and its neighbours.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from cds.review.sources import discover, read_lines
from cds.review.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]


def floor(folder: Path) -> tuple[float, int, int]:
    """Seconds to parse every line and group raw bytes by patient; (s, resources, patients)."""
    started = time.perf_counter()
    groups: dict[str, list[bytes]] = {}
    lines = 0
    for src in discover([folder]):
        with src.path.open("rb") as fh:
            for raw in fh:
                res = orjson.loads(raw)
                lines += 1
                ref = res.get("subject", {}).get("reference", "")
                pid = res["id"] if res["resourceType"] == "Patient" else ref[8:]
                groups.setdefault(pid, []).append(raw)
    return time.perf_counter() - started, lines, len(groups) - ("" in groups)


def review(folder: Path, out: Path, workers: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``cds review`` in a child process."""
    code = "import sys; from cds.cli import main; sys.argv[0] = 'cds'; main()"
    args = [
        sys.executable,
        "-c",
        code,
        "review",
        str(folder),
        "--out",
        str(out),
        "--workers",
        str(workers),
    ]
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=null, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"review failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def run(patients: int) -> None:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        t0 = time.perf_counter()
        synthesize(patients, 42, data)
        size = sum(p.stat().st_size for p in data.glob("*.ndjson")) / 1e6
        print(
            f"\n== {patients:,} patients ({size:.1f} MB NDJSON, generated in "
            f"{time.perf_counter() - t0:.1f} s)"
        )
        f_s, resources, n_pat = floor(data)
        lines = sum(1 for s in discover([data]) for _ in read_lines(s))
        print(
            f"floor (orjson + group raw lines, 1 process): {f_s:.2f} s, "
            f"{n_pat / f_s:,.0f} patients/s, {resources / f_s:,.0f} resources/s"
        )
        for workers in sorted({1, cores}):
            wall, rss = review(data, Path(tmp) / f"out{workers}", workers)
            ratio = (n_pat / wall) / (n_pat / f_s)
            print(
                f"review, {workers} worker(s): {wall:.2f} s, {n_pat / wall:,.0f} patients/s, "
                f"{lines / wall:,.0f} resources/s, peak RSS {rss:,.0f} MB; "
                f"{ratio:.1%} of the floor's rate (target >= 50%)"
                + (
                    f"; RSS target < 1024 MB: {'met' if rss < 1024 else 'NOT met'}"
                    if patients >= 100_000
                    else ""
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--big", action="store_true", help="also run 100,000 patients")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    run(args.patients)
    if args.big:
        run(100_000)


if __name__ == "__main__":
    main()
