"""A batch review SIGKILLed mid-run resumes and writes byte-identical outputs.

`python -m cds review … --workers 2` runs as a subprocess in its own process group; as soon as
progress.json records a finished shard, the whole group (the parent and its two pool workers)
gets SIGKILL: no `finally`, no atexit, no flush. Running the same command again must skip the
finished shards and produce exactly the outputs of an uninterrupted run. `--memory-mb 4` spills
the shards to files (the path of big inputs) and makes 30-odd shards, so the kill lands
mid-run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = ("cards.ndjson", "errors.ndjson", "summary.json", "report.html")
PATIENTS = 3000


def cds(*args: str) -> list[str]:
    return [sys.executable, "-m", "cds", *args]


def review_command(data: Path, out: Path) -> list[str]:
    return cds("review", str(data), "--out", str(out), "--workers", "2", "--memory-mb", "4")


def run(command: list[str]) -> str:
    """Run to completion; its stderr (the progress log)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def finished_shards(out: Path) -> tuple[int, int]:
    try:
        state = orjson.loads((out / "progress.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):  # not there yet (written atomically)
        return 0, 0
    return len(state["finished"]), int(state["n_shards"])


@pytest.mark.integration
def test_review_killed_mid_run_resumes_to_identical_outputs(tmp_path: Path) -> None:
    data = tmp_path / "population"
    run(cds("synth", "--patients", str(PATIENTS), "--seed", "5", "--out", str(data)))
    clean = tmp_path / "clean"
    run(review_command(data, clean))

    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        review_command(data, killed),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the pool workers die with it
    )
    try:
        deadline = time.monotonic() + 60
        while finished_shards(killed)[0] == 0:
            assert process.poll() is None, "the review ended before a shard was recorded"
            assert time.monotonic() < deadline, "no shard recorded in 60 s"
            time.sleep(0.002)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    done, total = finished_shards(killed)
    assert 1 <= done < total, (done, total)  # killed mid-run
    assert not (killed / "cards.ndjson").exists()

    log = run(review_command(data, killed))  # the same command resumes ...
    assert f"resuming, {done} of {total} shards done" in log  # ... and does not start over
    for name in OUTPUTS:
        assert (killed / name).read_bytes() == (clean / name).read_bytes(), name
    assert not (killed / "progress.json").exists()
    assert not (killed / "parts").exists()
