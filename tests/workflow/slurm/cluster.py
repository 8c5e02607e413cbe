"""A real single-node SLURM cluster (Debian slurm-wlm 22.05 + munge) for tests, started as root.

    with SingleNodeSlurm() as cluster:           # or: python tests/workflow/slurm/cluster.py --hold
        env = cluster.env()                      # SLURM_CONF points at this cluster
        subprocess.run(["srun", "hostname"], env=env, check=True)

Everything lives under one temporary directory (munge key and socket, slurm.conf, state, spool,
logs, pid files) and free TCP ports are chosen for slurmctld/slurmd, so a system SLURM or munge
is neither used nor disturbed. The three daemons run in the foreground as child processes and
are stopped by their own PIDs (SIGTERM, then SIGKILL), never by name.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REQUIRED = ("munged", "slurmctld", "slurmd", "sinfo", "srun", "sbatch", "squeue", "scontrol")
CLIENTS = ("srun", "sbatch", "squeue", "scancel", "sinfo", "scontrol", "sacct")
PARTITION = "debug"


def missing_requirements() -> list[str]:
    """Why this machine cannot start the cluster (empty when it can)."""
    why = [f"{b} not on PATH" for b in REQUIRED if shutil.which(b) is None]
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        why.append("not running as root")
    try:
        pwd.getpwnam("munge")
    except KeyError:
        why.append("no 'munge' user (apt-get install munge)")
    return why


def _free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class SlurmStartError(RuntimeError):
    """The cluster did not come up; the message holds the daemon logs."""


class SingleNodeSlurm:
    """Start munged, slurmctld and slurmd under a fresh directory; stop them by PID."""

    def __init__(
        self,
        base: str | os.PathLike[str] | None = None,
        *,
        memory_mb: int | None = None,
        cpus: int | None = None,
    ):
        self._own_base = base is None
        self.base = Path(base) if base else Path(tempfile.mkdtemp(prefix="pexbench-slurm-"))
        os.chmod(self.base, 0o755)  # munged (user munge) must reach its directory
        self.memory_mb = memory_mb
        self.cpus = cpus  # declare more CPUs than the machine has (slurmd config_overrides)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.host = socket.gethostname().split(".")[0]
        self.conf = self.base / "slurm.conf"
        self.munge_socket = self.base / "munge" / "munge.socket.2"

    # -- helpers -------------------------------------------------------------------------
    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for SLURM clients (sbatch/squeue/srun, Snakemake's slurm executor):
        SLURM_CONF set, and the client shims of `bin/` first on PATH (see `_write_shims`)."""
        env = dict(os.environ if base is None else base)
        env["SLURM_CONF"] = str(self.conf)
        env["PATH"] = os.pathsep.join([str(self.base / "bin"), env.get("PATH", "")])
        return env

    def _write_shims(self) -> None:
        """`bin/srun` etc. that set SLURM_CONF before running the real client.

        Inside a job, snakemake-executor-plugin-slurm-jobstep (0.6.1) removes every SLURM_*
        variable except a few job-identity ones before its nested `srun`, so a SLURM_CONF that
        points away from /etc/slurm/slurm.conf is lost there. Real clusters keep slurm.conf at
        the default path or run configless; this test cluster must not write to /etc.
        """
        bindir = self.base / "bin"
        bindir.mkdir(exist_ok=True)
        for name in CLIENTS:
            real = shutil.which(name)
            if real is None:
                continue
            shim = bindir / name
            shim.write_text(
                f'#!/bin/sh\nSLURM_CONF={self.conf}\nexport SLURM_CONF\nexec {real} "$@"\n'
            )
            shim.chmod(0o755)

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), env=self.env(), capture_output=True, text=True, timeout=timeout
        )

    def logs(self) -> str:
        out = []
        for name in ("munged.log", "slurmctld.log", "slurmd.log"):
            path = self.base / "log" / name
            if path.exists():
                out.append(
                    f"--- {name} (last 40 lines)\n"
                    + "\n".join(path.read_text(errors="replace").splitlines()[-40:])
                )
        return "\n".join(out)

    # -- lifecycle -----------------------------------------------------------------------
    def _start_munge(self) -> None:
        munge = pwd.getpwnam("munge")
        mdir = self.base / "munge"
        mdir.mkdir(mode=0o700)
        key = mdir / "munge.key"
        key.write_bytes(os.urandom(1024))
        os.chmod(key, 0o400)
        for p in (mdir, key):
            os.chown(p, munge.pw_uid, munge.pw_gid)
        log = self.base / "log" / "munged.log"
        log.touch()
        os.chown(log, munge.pw_uid, munge.pw_gid)
        self.procs["munged"] = subprocess.Popen(
            [
                "munged",
                "--foreground",
                "--force",
                f"--socket={self.munge_socket}",
                f"--key-file={key}",
                f"--pid-file={mdir / 'munged.pid'}",
                f"--seed-file={mdir / 'munged.seed'}",
                f"--log-file={log}",
            ],
            user=munge.pw_uid,
            group=munge.pw_gid,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(lambda: self.munge_socket.exists(), "munged socket", 20)

    def _node_line(self) -> str:
        res = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True)
        line = res.stdout.splitlines()[0].strip()
        fields = dict(f.split("=", 1) for f in line.split())
        fields["NodeName"] = self.host
        if self.memory_mb is not None:
            fields["RealMemory"] = str(self.memory_mb)
        if self.cpus is not None:
            fields.update(
                CPUs=str(self.cpus),
                Boards="1",
                SocketsPerBoard="1",
                CoresPerSocket=str(self.cpus),
                ThreadsPerCore="1",
            )
        fields["NodeAddr"] = "127.0.0.1"
        fields["State"] = "UNKNOWN"
        return " ".join(f"{k}={v}" for k, v in fields.items())

    def _write_conf(self) -> None:
        ctld_port, d_port = _free_ports(2)
        b = self.base
        for d in ("state", "spool", "log", "run"):
            (b / d).mkdir(exist_ok=True)
        self.conf.write_text(
            "\n".join(
                [
                    "ClusterName=pexbenchtest",
                    f"SlurmctldHost={self.host}(127.0.0.1)",
                    f"SlurmctldPort={ctld_port}",
                    f"SlurmdPort={d_port}",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    "AuthType=auth/munge",
                    "CredType=cred/munge",
                    f"AuthInfo=socket={self.munge_socket}",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core_Memory",
                    "AccountingStorageType=accounting_storage/none",
                    "JobAcctGatherType=jobacct_gather/none",
                    "JobCompType=jobcomp/none",
                    "MpiDefault=none",
                    "SwitchType=switch/none",
                    "MinJobAge=600",
                    "ReturnToService=2",
                    "SlurmdParameters=config_overrides",
                    "SchedulerType=sched/backfill",
                    "SlurmctldTimeout=30",
                    "SlurmdTimeout=30",
                    f"StateSaveLocation={b / 'state'}",
                    f"SlurmdSpoolDir={b / 'spool' / 'slurmd.%n'}",
                    f"SlurmctldPidFile={b / 'run' / 'slurmctld.pid'}",
                    f"SlurmdPidFile={b / 'run' / 'slurmd.pid'}",
                    f"SlurmctldLogFile={b / 'log' / 'slurmctld.log'}",
                    f"SlurmdLogFile={b / 'log' / 'slurmd.log'}",
                    "SlurmctldDebug=info",
                    "SlurmdDebug=info",
                    self._node_line(),
                    f"PartitionName={PARTITION} Nodes={self.host} Default=YES "
                    "MaxTime=INFINITE State=UP",
                    "",
                ]
            )
        )

    def start(self, timeout: float = 60) -> SingleNodeSlurm:
        why = missing_requirements()
        if why:
            raise SlurmStartError("cannot start SLURM: " + "; ".join(why))
        (self.base / "log").mkdir(exist_ok=True)
        try:
            self._start_munge()
            self._write_conf()
            self._write_shims()
            env = self.env()
            self.procs["slurmctld"] = subprocess.Popen(
                ["slurmctld", "-D", "-i", "-f", str(self.conf)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self._wait(lambda: self.run("scontrol", "ping").returncode == 0, "slurmctld", timeout)
            self.procs["slurmd"] = subprocess.Popen(
                ["slurmd", "-D", "-f", str(self.conf)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self._wait(self._node_idle, "node idle in sinfo", timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _node_idle(self) -> bool:
        res = self.run("sinfo", "-h", "-N", "-o", "%T")
        return res.returncode == 0 and res.stdout.strip().startswith("idle")

    def _wait(self, ok: Callable[[], bool], what: str, timeout: float) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise SlurmStartError(
                        f"{name} exited with {proc.returncode} while waiting for {what}\n"
                        + self.logs()
                    )
            if ok():
                return
            time.sleep(0.5)
        raise SlurmStartError(f"timed out after {timeout:.0f} s waiting for {what}\n" + self.logs())

    def stop(self) -> None:
        """Terminate the daemons this object started, by PID, in reverse start order."""
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=15)
        self.procs.clear()

    def cleanup(self) -> None:
        self.stop()
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> SingleNodeSlurm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", action="store_true", help="keep running until Ctrl-C")
    args = parser.parse_args(argv)
    with SingleNodeSlurm() as cluster:
        print(f"SLURM_CONF={cluster.conf}")
        print(cluster.run("sinfo").stdout)
        print(cluster.run("srun", "hostname").stdout)
        if args.hold:
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
