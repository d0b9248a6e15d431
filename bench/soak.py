"""Soak: the real server under steady load for a long time; does its memory stay flat?

    .venv/bin/python bench/soak.py [--minutes 10] [--concurrency 8] [--rate 200] [--json F]

Starts `cds serve` (uvicorn, SQLite store in a temporary folder) and the load generator of
bench/loadgen.py in a second process: all four hooks mixed, every answer checked against the
cards of a sequential first pass, at most `--rate` requests/s with `--concurrency` in flight.
Every `--sample-every` seconds (10) it prints the server's RSS (psutil if installed, else
/proc/<pid>/status), threads, open files, the store's size and the requests so far. At the end:
RSS at start, end and highest, its slope (least squares over the samples after the first
minute of warm-up, in MB per hour), requests, errors (must be 0), p50/p99. Exit code 1 on
errors. Figures: docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from loadgen import generator_command, rss_mb, start_server, stop_server, threads


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per hour."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 3600


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s (0: no cap)")
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--warm-up", type=float, default=60.0, help="seconds left out of slope")
    parser.add_argument("--json", type=Path, help="also write the samples and summary here")
    parser.add_argument(
        "--database-url",
        help="the store (default: SQLite in the temporary folder); an unreachable one, e.g. "
        "sqlite:////dev/null/x, leaves the store out of the memory figures",
    )
    args = parser.parse_args()
    duration = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="cds-soak-") as tmp:
        root = Path(tmp)
        process, url = start_server(root, database_url=args.database_url)
        pid = process.pid
        latest: dict[str, Any] = {}
        final: dict[str, Any] = {}

        command = generator_command(
            url,
            concurrency=args.concurrency,
            rate=args.rate,
            duration=duration,
            report_every=args.sample_every,
        )
        generator = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

        def read() -> None:
            assert generator.stdout is not None
            for line in generator.stdout:
                data = json.loads(line)
                (final if data.get("final") else latest).update(data)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        samples: list[dict[str, Any]] = []
        started = time.monotonic()
        print(
            f"{'t s':>6} {'RSS MB':>7} {'threads':>7} {'fds':>5} {'store MB':>8} "
            f"{'sent':>8} {'errors':>6} {'req/s':>6}",
            flush=True,
        )
        last_sent, last_t = 0, 0.0
        try:
            while generator.poll() is None:
                time.sleep(args.sample_every - (time.monotonic() - started) % args.sample_every)
                if process.poll() is not None:
                    raise SystemExit("the server died")
                t = time.monotonic() - started
                store = sum(f.stat().st_size for f in root.glob("cds.sqlite3*")) / 2**20
                sent = int(latest.get("sent", 0))
                sample = {
                    "t": round(t, 1),
                    "rss_mb": round(rss_mb(pid), 1),
                    "threads": threads(pid),
                    "fds": open_files(pid),
                    "store_mb": round(store, 1),
                    "sent": sent,
                    "errors": int(latest.get("errors", 0)),
                    "rps": round((sent - last_sent) / max(t - last_t, 1e-9), 1),
                }
                last_sent, last_t = sent, t
                samples.append(sample)
                print(
                    f"{sample['t']:>6.0f} {sample['rss_mb']:>7.1f} {sample['threads']:>7} "
                    f"{sample['fds']:>5} {sample['store_mb']:>8.1f} {sample['sent']:>8} "
                    f"{sample['errors']:>6} {sample['rps']:>6.0f}",
                    flush=True,
                )
            reader.join(timeout=30)
        finally:
            if generator.poll() is None:
                generator.kill()
            stop_server(process)

    rss = [s["rss_mb"] for s in samples]
    steady = [(s["t"], s["rss_mb"]) for s in samples if s["t"] >= args.warm_up]
    summary = {
        "minutes": args.minutes,
        "concurrency": args.concurrency,
        "rate": args.rate,
        "requests_ok": final.get("ok"),
        "errors": final.get("errors"),
        "error_kinds": final.get("error_kinds"),
        "rebaselined": final.get("rebaselined"),
        "rps": final.get("rps"),
        "p50_ms": final.get("p50_ms"),
        "p99_ms": final.get("p99_ms"),
        "max_ms": final.get("max_ms"),
        "rss_start_mb": rss[0] if rss else None,
        "rss_end_mb": rss[-1] if rss else None,
        "rss_max_mb": max(rss) if rss else None,
        "rss_slope_mb_per_hour": round(slope_per_hour(steady), 2),
        "threads_max": max((s["threads"] for s in samples), default=None),
        "fds_max": max((s["fds"] for s in samples), default=None),
        "store_end_mb": samples[-1]["store_mb"] if samples else None,
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "samples": samples}, indent=2))
    if not final or final.get("errors"):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
