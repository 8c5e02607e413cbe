"""One GPU per predict job: which CUDA device a job uses, and a lock so two jobs never share one.

Snakemake's `gpu` resource only counts (`--resources gpu=4` lets four GPU jobs run at once); it
assigns no device ids, so without help every job opens `cuda:0`. `gpu_slot(requested)` is
entered by a predict job of a CUDA model around its model load and forward passes:

- `CUDA_VISIBLE_DEVICES` set (non-empty): a scheduler (SLURM does this per job) or the user
  chose the device(s). The job uses `cuda:0` of what is visible (or the explicit index it
  asked for, counted within the visible list) and takes no lock: SLURM already gives each job
  its own device, and with cgroup-constrained devices every job sees its GPU as index 0, so a
  lock keyed by index would serialise jobs that do not share anything. On a workstation,
  leave `CUDA_VISIBLE_DEVICES` unset and let the locks below do the assignment.
- `cuda` / `auto`: take the first free device index, where "free" means nobody holds an
  exclusive `fcntl.flock` on `<lock_dir>/gpu<index>.lock`. When every device is taken the job
  logs that it waits and polls until one is released. The chosen device becomes the
  process's current CUDA device (`torch.cuda.set_device`) and `cuda:<index>` is returned.
- `cuda:N` (explicit index) is honoured as asked, and its lock is held too: a second job
  asking the same index waits instead of sharing the device silently, and a `cuda` job never
  picks a device an explicit job holds.
- `cpu` (and `auto` on a machine without CUDA): returns `cpu`, no lock.

The kernel drops a flock when its process dies (also on SIGKILL or OOM kill), so a killed job
never leaves a device blocked; the lock is also released explicitly when the context exits,
exceptions included. Lock files are never deleted (unlinking a file another process is
waiting on would let two processes "hold" different inodes of the same name); they contain
the pid and host of the last holder, for people wondering who has a device.

Lock directory: `lock_dir`, else `$PEXBENCH_GPU_LOCK_DIR`, else `/tmp/pexbench-gpu-locks-<uid>`
(literally /tmp, not $TMPDIR: Snakemake and schedulers may give every job its own TMPDIR, and
the point is that all jobs on the machine see the same files). The default is per user; to
share GPUs between users, point `PEXBENCH_GPU_LOCK_DIR` at one world-writable directory on
local disk (flock over NFS is not reliable on every system).

Device count: `count`, else `$PEXBENCH_FAKE_GPU_COUNT` (tests only: pretends that many GPUs
exist and skips `torch.cuda.set_device`), else `torch.cuda.device_count()`. torch is imported
only then, so this module stays cheap to import.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from pexbench.errors import ModelError

log = logging.getLogger(__name__)

LOCK_DIR_ENV = "PEXBENCH_GPU_LOCK_DIR"
FAKE_COUNT_ENV = "PEXBENCH_FAKE_GPU_COUNT"  # tests only
VISIBLE_ENV = "CUDA_VISIBLE_DEVICES"


def default_lock_dir() -> Path:
    """`$PEXBENCH_GPU_LOCK_DIR`, else `/tmp/pexbench-gpu-locks-<uid>`."""
    env = os.environ.get(LOCK_DIR_ENV, "").strip()
    return Path(env) if env else Path(f"/tmp/pexbench-gpu-locks-{os.getuid()}")


def lock_path(lock_dir: str | Path, index: int) -> Path:
    """The lock file of device `index`."""
    return Path(lock_dir) / f"gpu{index}.lock"


def _device_count(count: int | None, where: str) -> tuple[int, bool]:
    """(number of devices, whether it is real, i.e. torch.cuda may be used)."""
    if count is not None:
        return int(count), False
    fake = os.environ.get(FAKE_COUNT_ENV, "").strip()
    if fake:
        try:
            return int(fake), False
        except ValueError as exc:
            raise ModelError(
                f"{where}: {FAKE_COUNT_ENV}={fake!r} is not an integer; it is for tests only, "
                "unset it."
            ) from exc
    import torch

    return torch.cuda.device_count(), True


def _parse(requested: str | None, where: str) -> tuple[str, int | None]:
    """'cpu' | 'auto' | 'cuda' with an optional explicit index."""
    name = (requested or "auto").strip().lower()
    if name in ("cpu", "auto", "cuda"):
        return name, None
    kind, sep, index = name.partition(":")
    if kind == "cuda" and sep and index.isdigit():
        return "cuda", int(index)
    raise ModelError(f"{where}: {requested!r} is not a device; use auto, cpu, cuda or cuda:N.")


def _try_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on `path`, or None when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return None
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} since {time.ctime()}\n".encode())
    return fd


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown"
    except OSError:
        return "unknown"


def _acquire(
    candidates: list[int],
    lock_dir: Path,
    *,
    timeout: float | None,
    poll: float,
    where: str,
) -> tuple[int, int]:
    """(device index, fd) of the first candidate whose lock is free, waiting if none is."""
    try:
        lock_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"{where}: cannot create the GPU lock directory {lock_dir} ({exc}); set "
            f"{LOCK_DIR_ENV} to a writable directory on local disk."
        ) from exc
    start = time.monotonic()
    waiting = False
    while True:
        for index in candidates:
            fd = _try_lock(lock_path(lock_dir, index))
            if fd is not None:
                if waiting:
                    log.info(
                        "%s: cuda:%d became free after %.1f s of waiting",
                        where,
                        index,
                        time.monotonic() - start,
                    )
                return index, fd
        held = "; ".join(f"cuda:{i} held by {_holder(lock_path(lock_dir, i))}" for i in candidates)
        if timeout is not None and time.monotonic() - start >= timeout:
            raise ModelError(
                f"{where}: no GPU became free within {timeout:g} s ({held}; lock files in "
                f"{lock_dir}). Run at most as many GPU jobs as there are GPUs "
                "(`--resources gpu=N`), or end the process holding the device."
            )
        if not waiting:
            log.info("%s: waiting for a free GPU (%s; lock files in %s)", where, held, lock_dir)
            waiting = True
        time.sleep(poll)


def _set_device(index: int) -> None:
    import torch

    torch.cuda.set_device(index)


@contextlib.contextmanager
def gpu_slot(
    requested: str | None = "cuda",
    *,
    lock_dir: str | Path | None = None,
    count: int | None = None,
    timeout: float | None = None,
    poll: float = 1.0,
    where: str = "device",
) -> Iterator[str]:
    """Hold one CUDA device for the duration of the block; yields the device string to use.

    `requested` is the model's `device` value (auto, cpu, cuda, cuda:N); `where` names the
    config key in errors (e.g. `models[0].device`). `timeout` (seconds, None = wait forever)
    bounds the wait for a free device; `poll` is the wait between attempts. See the module
    docstring for the rules.
    """
    kind, index = _parse(requested, where)
    if kind == "cpu":
        yield "cpu"
        return
    n, real = _device_count(count, where)
    if n < 1:
        if kind == "auto" and index is None:
            log.info("%s: auto and no CUDA device is visible: using cpu", where)
            yield "cpu"
            return
        raise ModelError(
            f"{where}: {requested!r} requested but no CUDA device is visible "
            "(torch.cuda.device_count() is 0); set it to auto or cpu, or run on a GPU node "
            "with a CUDA build of torch."
        )
    if index is not None and index >= n:
        raise ModelError(
            f"{where}: {requested!r} but only {n} CUDA device(s) exist (cuda:0..cuda:{n - 1}); "
            "use cuda to take any free one."
        )
    visible = os.environ.get(VISIBLE_ENV, "").strip()
    if visible:
        device = f"cuda:{index or 0}"
        log.info(
            "%s: %s=%s was set by the scheduler (or by you): using %s of those devices, "
            "taking no GPU lock",
            where,
            VISIBLE_ENV,
            visible,
            device,
        )
        if index is None and "," in visible:
            log.warning(
                "%s: %d devices are visible but only the first is used and no lock is taken, "
                "so concurrent jobs share it; on a workstation unset %s and pexbench gives "
                "each job a free GPU",
                where,
                visible.count(",") + 1,
                VISIBLE_ENV,
            )
        if real:
            _set_device(index or 0)
        yield device
        return
    folder = Path(lock_dir) if lock_dir is not None else default_lock_dir()
    candidates = [index] if index is not None else list(range(n))
    chosen, fd = _acquire(candidates, folder, timeout=timeout, poll=poll, where=where)
    try:
        if real:
            _set_device(chosen)
        log.info(
            "%s: took cuda:%d (%s of %d device(s); lock %s)",
            where,
            chosen,
            "as asked" if index is not None else "first free",
            n,
            lock_path(folder, chosen),
        )
        yield f"cuda:{chosen}"
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        log.info("%s: released cuda:%d", where, chosen)
