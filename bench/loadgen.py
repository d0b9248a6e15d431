"""The load generator of bench/load.py and bench/soak.py, and what both need around it.

The generator runs in its own process (`python bench/loadgen.py URL …`), so it does not share
the two cores' GIL with the server it measures: asyncio + httpx, `--concurrency` requests in
flight (a closed loop), mixing the golden requests of all four hooks
(fhir_examples/back-spasm/*/request.json). Every answer is checked, not only its status: a
first sequential pass records each request's cards (uuids aside); under load every answer must
be the same cards, so one call's facts leaking into another's cards through the thread pool
that runs the evaluator would count as an error. An answer that differs and then differs the
same way on a sequential retry is the clock crossing a time window of that scenario (the
golden requests carry fixed dates): it is re-baselined and counted, not an error.

It prints one JSON line per `--report-every` seconds (cumulative counts) and a final one with
the latencies' percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "fhir_examples" / "back-spasm"
_RULES = re.compile(r"rules: ([^;]+);")


def golden_requests() -> list[tuple[str, bytes]]:
    """(service path, body) of every golden request, in folder order."""
    out = []
    for path in sorted(GOLDEN.glob("*/request.json")):
        body = path.read_bytes()
        hook = json.loads(body)["hook"]
        out.append((f"/cds-services/back-spasm-{hook}", body))
    return out


def normalise(answer: dict[str, Any]) -> str:
    """The cards of an answer without their random uuids, as a comparable string."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "uuid"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return json.dumps(strip(answer), sort_keys=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Stats:
    """Counts and latencies of one run (latencies in ms, only of answered calls)."""

    sent: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    rebaselined: int = 0
    latencies: list[float] = field(default_factory=list)
    by_hook: dict[str, list[float]] = field(default_factory=dict)

    def line(self, **extra: Any) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "ok": self.ok,
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "rebaselined": self.rebaselined,
            **extra,
        }


async def baseline(client: httpx.AsyncClient, requests: list[tuple[str, bytes]]) -> dict[int, str]:
    """Each request's cards, asked one at a time."""
    expected = {}
    for index, (path, body) in enumerate(requests):
        response = await client.post(path, content=body)
        response.raise_for_status()
        expected[index] = normalise(response.json())
    return expected


async def generate(args: argparse.Namespace) -> None:
    requests = golden_requests()
    headers = {"Content-Type": "application/json"}
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    stats = Stats()
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.duration
    async with httpx.AsyncClient(
        base_url=args.url, timeout=args.timeout, limits=limits, headers=headers
    ) as client:
        expected = await baseline(client, requests)
        order = [rng.randrange(len(requests)) for _ in range(10_007)]
        cursor = iter(range(args.requests if args.requests else sys.maxsize))
        started = time.monotonic()
        pace = {"next": started}

        async def wait_turn() -> None:
            """At most `--rate` requests per second, all workers together (0: no limit)."""
            if not args.rate:
                return
            now = time.monotonic()
            slot = max(now, pace["next"])
            pace["next"] = slot + 1 / args.rate
            await asyncio.sleep(slot - now)

        async def worker() -> None:
            for n in cursor:
                if time.monotonic() >= deadline:
                    return
                await wait_turn()
                index = order[n % len(order)]
                path, body = requests[index]
                stats.sent += 1
                t0 = time.perf_counter()
                try:
                    response = await client.post(path, content=body)
                except httpx.HTTPError as exc:
                    stats.errors[type(exc).__name__] += 1
                    continue
                ms = (time.perf_counter() - t0) * 1000
                if response.status_code != 200:
                    stats.errors[f"HTTP {response.status_code}"] += 1
                    continue
                got = normalise(response.json())
                if got != expected[index]:
                    retry = await client.post(path, content=body)
                    if retry.status_code == 200 and normalise(retry.json()) == got:
                        expected[index] = got  # a time window crossed: a new, stable answer
                        stats.rebaselined += 1
                    else:
                        stats.errors["wrong cards"] += 1
                        continue
                stats.ok += 1
                stats.latencies.append(ms)
                stats.by_hook.setdefault(path.rsplit("-", 1)[-1], []).append(ms)

        async def reporter() -> None:
            while True:
                await asyncio.sleep(args.report_every)
                print(json.dumps(stats.line(t=round(time.monotonic() - started, 1))), flush=True)

        report = asyncio.create_task(reporter()) if args.report_every else None
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        wall = time.monotonic() - started
        if report is not None:
            report.cancel()
    final = stats.line(
        final=True,
        concurrency=args.concurrency,
        wall_s=round(wall, 2),
        rps=round(stats.ok / wall, 1) if wall else 0.0,
        p50_ms=round(percentile(stats.latencies, 0.50), 2),
        p90_ms=round(percentile(stats.latencies, 0.90), 2),
        p99_ms=round(percentile(stats.latencies, 0.99), 2),
        max_ms=round(max(stats.latencies, default=float("nan")), 2),
        p50_ms_by_hook={h: round(percentile(v, 0.5), 2) for h, v in sorted(stats.by_hook.items())},
    )
    print(json.dumps(final), flush=True)


# --------------------------------------------------------------------------------------------
# The server and its memory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    root: Path,
    log_level: str = "warning",
    switch_interval: float | None = None,
    database_url: str | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """`cds serve` (uvicorn) on a free loopback port, SQLite store in `root`.

    `switch_interval` (seconds, e.g. 1e-5 instead of Python's 5e-3) makes the server's threads
    trade the GIL far more often, so races between the evaluator's threads show up in minutes
    (set through a sitecustomize module: the server code is not changed). It also sends every
    call to the thread pool (`inline_max_bytes: 0`): small calls are otherwise evaluated on
    the event loop, where there is no race to find.
    """
    port = free_port()
    config = root / "cds.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "database_url": database_url or f"sqlite:///{root}/cds.sqlite3",
                "log_level": log_level,
                **({"inline_max_bytes": 0} if switch_interval is not None else {}),
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDS_")}
    path = str(ROOT)
    if switch_interval is not None:
        site = root / "site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(
            f"import sys\nsys.setswitchinterval({switch_interval!r})\n"
        )
        path = f"{site}{os.pathsep}{path}"
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "cds", "serve", "--config", str(config)],
        cwd=root,
        env={**env, "PYTHONPATH": path},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{(root / 'server.log').read_text()[-3000:]}")
        try:
            httpx.get(f"{url}/cds-services", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("server did not start in 30 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (psutil if installed, else /proc)."""
    try:
        import psutil  # type: ignore[import-not-found]

        return float(psutil.Process(pid).memory_info().rss) / 2**20
    except ImportError:
        pass
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def generator_command(url: str, **options: Any) -> list[str]:
    command = [sys.executable, str(Path(__file__).resolve()), url]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    return command


def main() -> None:
    parser = argparse.ArgumentParser(description="Load generator (one process).")
    parser.add_argument("url", help="base URL of the service, e.g. http://127.0.0.1:8080")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=0, help="stop after N (0: no limit)")
    parser.add_argument("--duration", type=float, default=60.0, help="stop after S seconds")
    parser.add_argument("--report-every", type=float, default=0.0, help="progress line period")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout")
    parser.add_argument("--rate", type=float, default=0.0, help="requests/s cap (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    asyncio.run(generate(parser.parse_args()))


if __name__ == "__main__":
    main()
