"""Load: the real server under rising concurrency, all four hooks mixed.

    .venv/bin/python bench/load.py [--levels 1,4,16,32] [--requests 400] [--max-seconds 60]

Starts `cds serve` (uvicorn, SQLite store in a temporary folder) on loopback and, for each
concurrency level, a load generator in a second process (bench/loadgen.py: asyncio + httpx,
a closed loop over the 50 golden requests of fhir_examples/back-spasm, every answer checked
against the cards of a sequential first pass). Each level is bounded by `--requests` and by
`--max-seconds`. Prints per level: answered requests, errors (must be 0), req/s, p50/p90/p99
and max latency, and the server's RSS (before, highest while loaded) and thread count.
Exit code 1 when any level had an error. Figures: docs/reliability.md.

The route evaluates calls up to `inline_max_bytes` (256 KiB: all the golden requests) on the
event loop and larger ones in Starlette's thread pool (40 threads). `--switch-interval 1e-5`
is the thread-safety stress: every call goes to the pool, so levels above 1 run the engine
wrapper from many threads at once, and those threads interleave a thousand times more often.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from loadgen import generator_command, rss_mb, start_server, stop_server, threads


def run_level(
    url: str, pid: int, concurrency: int, requests: int, seconds: float
) -> dict[str, Any]:
    """One level: the generator as a child process, the server's RSS sampled every 0.2 s."""
    rss_before = rss_mb(pid)
    peak = {"rss": rss_before, "threads": threads(pid)}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak["rss"] = max(peak["rss"], rss_mb(pid))
            peak["threads"] = max(peak["threads"], threads(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    command = generator_command(
        url, concurrency=concurrency, requests=requests, duration=seconds, seed=concurrency
    )
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    finally:
        done.set()
        sampler.join()
    if out.returncode != 0:
        raise SystemExit(f"generator failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result.update(
        rss_before_mb=round(rss_before, 1),
        rss_peak_mb=round(peak["rss"], 1),
        rss_after_mb=round(rss_mb(pid), 1),
        threads_peak=peak["threads"],
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,4,16,32", help="concurrency levels")
    parser.add_argument("--requests", type=int, default=400, help="requests per level")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time bound per level")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--switch-interval",
        type=float,
        help="the server's sys.setswitchinterval (e.g. 1e-5): thread-safety stress mode",
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="cds-load-") as tmp:
        process, url = start_server(Path(tmp), switch_interval=args.switch_interval)
        try:
            started = time.monotonic()
            for concurrency in levels:
                results.append(
                    run_level(url, process.pid, concurrency, args.requests, args.max_seconds)
                )
                print(_row(results[-1]), flush=True)
            total = time.monotonic() - started
        finally:
            stop_server(process)
    print(
        f"{sum(r['ok'] for r in results)} requests in {total:.0f} s, "
        f"{sum(r['errors'] for r in results)} errors"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if any(r["errors"] for r in results):
        raise SystemExit(1)


HEADER = (
    f"{'conc.':>5} {'ok':>6} {'errors':>6} {'req/s':>7} {'p50 ms':>8} {'p90 ms':>8} "
    f"{'p99 ms':>8} {'max ms':>8} {'RSS MB':>15} {'threads':>7}"
)


def _row(r: dict[str, Any]) -> str:
    if not _row.__dict__.get("printed"):
        print(HEADER)
        _row.__dict__["printed"] = True
    rss = f"{r['rss_before_mb']:.0f} -> {r['rss_peak_mb']:.0f}"
    return (
        f"{r['concurrency']:>5} {r['ok']:>6} {r['errors']:>6} {r['rps']:>7.1f} "
        f"{r['p50_ms']:>8.1f} {r['p90_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['max_ms']:>8.1f} "
        f"{rss:>15} {r['threads_peak']:>7}"
    )


if __name__ == "__main__":
    main()
