"""pexbench.devices.gpu_slot: one GPU per job, on a CPU with a fake device count.

Concurrency is tested with real processes (flock is per open file, so processes are what the
locks are for); they start together on a barrier so the contention is deterministic.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pexbench.devices import FAKE_COUNT_ENV, VISIBLE_ENV, gpu_slot, lock_path
from pexbench.errors import ModelError

WORKER = """
import sys, time
from pathlib import Path
from pexbench.devices import gpu_slot
lock_dir, go, name, hold = sys.argv[1], Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
(go.parent / f"ready-{name}").touch()
while not go.exists():
    time.sleep(0.005)
with gpu_slot("cuda", lock_dir=lock_dir, count=2, poll=0.01, timeout=20) as device:
    start = time.time()
    time.sleep(hold)
    end = time.time()
    with open(go.parent / "log.tsv", "a") as out:
        out.write(f"{device}\\t{start!r}\\t{end!r}\\n")
"""

HOLDER = """
import sys, time
from pexbench.devices import gpu_slot
with gpu_slot(sys.argv[2], lock_dir=sys.argv[1], count=1) as device:
    print(device, flush=True)
    time.sleep(60)
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VISIBLE_ENV, raising=False)
    monkeypatch.delenv(FAKE_COUNT_ENV, raising=False)


def _python(code: str, *args: str, stdout: int | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in (VISIBLE_ENV, FAKE_COUNT_ENV)}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, text=True, stdout=stdout)


def _taken(lock_dir: Path, device: str = "cuda", count: int = 1) -> bool:
    """True when `device` cannot be acquired right now (another fd or process holds it)."""
    try:
        with gpu_slot(device, lock_dir=lock_dir, count=count, timeout=0.05, poll=0.01):
            return False
    except ModelError as exc:
        assert "no GPU became free" in str(exc)
        return True


def test_concurrent_jobs_never_share_a_device_and_use_all(tmp_path: Path) -> None:
    locks, run = tmp_path / "locks", tmp_path / "run"
    run.mkdir()
    go = run / "go"
    procs = [_python(WORKER, str(locks), str(go), str(i), "0.3") for i in range(6)]
    deadline = time.monotonic() + 30
    while len(list(run.glob("ready-*"))) < len(procs) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    assert [p.wait(timeout=30) for p in procs] == [0] * len(procs)
    rows = [line.split("\t") for line in (run / "log.tsv").read_text().splitlines()]
    assert len(rows) == 6
    by_device: dict[str, list[tuple[float, float]]] = {}
    for device, start, end in rows:
        by_device.setdefault(device, []).append((float(start), float(end)))
    assert set(by_device) == {"cuda:0", "cuda:1"}
    for intervals in by_device.values():
        intervals.sort()
        for (_s0, e0), (s1, _e1) in itertools.pairwise(intervals):
            assert e0 <= s1, f"two jobs held one device at once: {intervals}"


def test_an_exception_inside_the_block_frees_the_device(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with gpu_slot("cuda", lock_dir=tmp_path, count=1) as device:
            assert device == "cuda:0"
            assert _taken(tmp_path)  # held while inside: a second claimant times out
            raise RuntimeError("boom")
    assert not _taken(tmp_path)


def test_a_killed_job_frees_its_device(tmp_path: Path) -> None:
    proc = _python(HOLDER, str(tmp_path), "cuda", stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "cuda:0"
        assert _taken(tmp_path)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        start = time.monotonic()
        with gpu_slot("cuda", lock_dir=tmp_path, count=1, timeout=5, poll=0.01) as device:
            assert device == "cuda:0"
        assert time.monotonic() - start < 1.0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_scheduler_visible_devices_are_used_without_a_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VISIBLE_ENV, "3")
    with gpu_slot("cuda", lock_dir=tmp_path, count=1) as device:
        assert device == "cuda:0"
        with gpu_slot("auto", lock_dir=tmp_path, count=1) as again:  # no lock, no wait
            assert again == "cuda:0"
    assert list(tmp_path.iterdir()) == []


def test_an_explicit_index_is_honoured_and_locked(tmp_path: Path) -> None:
    with gpu_slot("cuda:1", lock_dir=tmp_path, count=2) as device:
        assert device == "cuda:1"
        assert lock_path(tmp_path, 1).is_file()
        assert _taken(tmp_path, "cuda:1", count=2)  # same index: waits rather than share
        with gpu_slot("cuda", lock_dir=tmp_path, count=2, timeout=1) as other:
            assert other == "cuda:0"  # a free-choice job skips the explicitly held device


def test_an_explicit_index_held_by_another_process_waits(tmp_path: Path) -> None:
    proc = _python(HOLDER, str(tmp_path), "cuda:0", stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "cuda:0"
        with pytest.raises(ModelError, match=r"cuda:0 held by pid \d+"):
            with gpu_slot("cuda:0", lock_dir=tmp_path, count=1, timeout=0.1, poll=0.01):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_cpu_and_auto_without_gpus_take_no_lock(tmp_path: Path) -> None:
    with gpu_slot("cpu", lock_dir=tmp_path, count=4) as device:
        assert device == "cpu"
    with gpu_slot("auto", lock_dir=tmp_path, count=0) as device:
        assert device == "cpu"
    assert list(tmp_path.iterdir()) == []


def test_fake_count_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAKE_COUNT_ENV, "2")
    with gpu_slot("cuda", lock_dir=tmp_path) as a, gpu_slot("cuda", lock_dir=tmp_path) as b:
        assert (a, b) == ("cuda:0", "cuda:1")


@pytest.mark.parametrize(
    ("requested", "count", "message"),
    [
        ("cuda", 0, r"models\[0\]\.device: 'cuda' requested but no CUDA device"),
        ("cuda:2", 2, r"models\[0\]\.device: 'cuda:2' but only 2 CUDA device"),
        ("gpu", 2, r"models\[0\]\.device: 'gpu' is not a device"),
    ],
)
def test_bad_requests_name_the_key(
    tmp_path: Path, requested: str, count: int, message: str
) -> None:
    with pytest.raises(ModelError, match=message):
        with gpu_slot(requested, lock_dir=tmp_path, count=count, where="models[0].device"):
            pass
