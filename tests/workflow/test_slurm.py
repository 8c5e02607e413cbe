"""The SLURM profile: resolved job resources (dry run) and a real run on a single-node SLURM.

`test_dry_run_gpu_resources` needs no cluster: `snakemake -n --profile workflow/profiles/slurm`
prints every job's resolved resources, and the slurm plugin's own function turns them into the
sbatch GPU flags. `test_demo_on_real_slurm` starts munge + slurmctld + slurmd (tests/workflow/slurm/
cluster.py; as root, Debian slurm-wlm + munge), runs the small demo through a CI variant of the
profile (no account, squeue for status, fast first status check, CPU-only resources that fit
this machine), checks the outputs and that the jobs really went through SLURM, and stops the
daemons it started by PID.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from slurm.cluster import PARTITION, SingleNodeSlurm, missing_requirements
from slurm.demo import run_snakemake, small_demo, snakemake_env

PROFILE = Path("workflow/profiles/slurm/config.yaml")


def job_blocks(dry_run_output: str) -> list[dict[str, str]]:
    """rule, wildcards and resources of every job in `snakemake -n` output."""
    jobs: list[dict[str, str]] = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", dry_run_output):
        m = re.match(r"(?:local)?rule (\w+):", block.strip())
        if not m:
            continue
        job = {"rule": m.group(1)}
        for key in ("wildcards", "resources"):
            km = re.search(rf"^\s+{key}: (.*)$", block, re.M)
            if km:
                job[key] = km.group(1)
        jobs.append(job)
    return jobs


# How slurmctld 22.05 (SlurmctldDebug=info) logs a batch job's start, by the scheduler that
# started it, and its end (seen in tests/workflow/slurm/cluster.py's log; both run there).
JOB_STARTED = re.compile(
    r"sched: Allocate JobId=(\d+) NodeList=(\S+)"  # main scheduler
    r"|sched/backfill: _start_job: Started JobId=(\d+) in \S+ on (\S+)"  # backfill scheduler
)
JOB_DONE = re.compile(r"_job_complete: JobId=(\d+) done")


def jobs_run(ctld_log: Path, job_ids: set[str], timeout: float = 30) -> dict[str, str]:
    """job id -> node of the jobs of `job_ids` that slurmctld's log shows started and done; the
    log is re-read for up to `timeout` s until it shows all of them (it is written
    asynchronously to the job states that snakemake polls)."""
    end = time.monotonic() + timeout
    while True:
        text = ctld_log.read_text()
        nodes = {}
        for m in JOB_STARTED.finditer(text):
            nodes[m.group(1) or m.group(3)] = m.group(2) or m.group(4)
        done = set(JOB_DONE.findall(text))
        ran = {job: node for job, node in nodes.items() if job in job_ids and job in done}
        if set(ran) == job_ids or time.monotonic() > end:
            return ran
        time.sleep(0.5)


def parse_kv(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(", ") if "=" in item)


def test_jobs_run_reads_both_schedulers_lines(tmp_path: Path) -> None:
    """Lines as slurmctld 22.05 wrote them on the test cluster (jobs 3-5 backfilled behind a
    2-CPU job waiting for resources); a job not yet done, or on another node, is not counted
    as run on the test node."""
    log = tmp_path / "slurmctld.log"
    log.write_text(
        "[2026-11-21T09:44:00.011] _slurm_rpc_submit_batch_job: JobId=1 InitPrio=4294901759\n"
        "[2026-11-21T09:44:01.978] sched: Allocate JobId=1 NodeList=vm #CPUs=1 Partition=debug\n"
        "[2026-11-21T09:44:28.972] sched/backfill: _start_job: Started JobId=3 in debug on vm\n"
        "[2026-11-21T09:44:29.997] _job_complete: JobId=3 WEXITSTATUS 0\n"
        "[2026-11-21T09:44:29.997] _job_complete: JobId=3 done\n"
        "[2026-11-21T09:44:58.972] sched/backfill: _start_job: Started JobId=13 in debug on n2\n"
        "[2026-11-21T09:45:00.004] _job_complete: JobId=13 done\n"
        "[2026-11-21T09:45:42.009] _job_complete: JobId=1 WEXITSTATUS 0\n"
        "[2026-11-21T09:45:42.009] _job_complete: JobId=1 done\n"
        "[2026-11-21T09:45:42.132] sched: Allocate JobId=2 NodeList=vm #CPUs=2 Partition=debug\n"
    )
    assert jobs_run(log, {"1", "3", "13"}, timeout=0) == {"1": "vm", "3": "vm", "13": "n2"}
    t0 = time.monotonic()
    assert jobs_run(log, {"1", "2"}, timeout=1) == {"1": "vm"}  # 2 never completes
    assert time.monotonic() - t0 >= 1


def test_profile_is_valid_yaml_for_the_slurm_executor(repo_root: Path) -> None:
    profile = yaml.safe_load((repo_root / PROFILE).read_text())
    assert profile["executor"] == "slurm"
    for rule in ("predict", "predict_variants"):
        res = profile["set-resources"][rule]
        assert "gpu" not in res  # the workflow requests GPUs per model (device: cuda)
        assert "attempt" in str(res["mem_mb"])  # retries get more memory
        for value in res.values():
            assert "--gres" not in str(value)
    assert "attempt" in str(profile["default-resources"]["mem_mb"])
    assert profile["retries"] >= 1
    assert "slurm_extra" not in str(profile)


def test_dry_run_gpu_resources(repo_root: Path, tmp_path: Path) -> None:
    schema = (repo_root / "workflow" / "schemas" / "config.schema.yaml").read_text()
    has_gpu_model = "gpu_model" in schema
    cfg = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())
    models = cfg["models"]
    enformer = next(m for m in models if m["type"] == "enformer")
    enformer.update(name="enformer_gpu", device="cuda")
    if has_gpu_model:
        enformer["gpu_model"] = "h100"
    enformer["slurm_partition"] = "gpu_nodes"  # the CPU model keeps the profile's default
    profile_partition = yaml.safe_load((repo_root / PROFILE).read_text())["default-resources"][
        "slurm_partition"
    ]
    config = small_demo(repo_root, tmp_path, overrides={"models": models})
    res = run_snakemake(
        repo_root, tmp_path, config, "-n", "--profile", str(repo_root / PROFILE.parent)
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    jobs = job_blocks(res.stdout + "\n" + res.stderr)
    predict = [j for j in jobs if j["rule"] in ("predict", "predict_variants")]
    assert len(predict) == 2 * 2 * 2  # 2 rules x 2 models x 2 shards
    for job in predict:
        wc = parse_kv(job["wildcards"])
        r = parse_kv(job["resources"])
        assert r["mem_mb"] == "32000" and r["runtime"] == "240"
        if wc["model"] == "enformer_gpu":
            assert r["gpu"] == "1" and r["slurm_partition"] == "gpu_nodes"
            if has_gpu_model:
                assert r["gpu_model"] == "h100"
        else:  # xpresso on the CPU never holds a GPU nor gets the GPU partition
            assert r["gpu"] == "0" and "gpu_model" not in r
            assert r["slurm_partition"] == profile_partition
    others = [j for j in jobs if j["rule"] == "haplotypes"]
    assert others and all(parse_kv(j["resources"])["mem_mb"] == "8000" for j in others)
    # no default cpus_per_task: the plugin requests --cpus-per-task=<rule threads>
    normalise = [parse_kv(j["resources"]) for j in jobs if j["rule"] == "normalise_vcf"]
    assert normalise and all("cpus_per_task" not in r for r in normalise)

    # What the slurm plugin makes of these resources (its own code, no cluster needed).
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    class Res(dict):
        __getattr__ = dict.get

    class Job:
        def __init__(self, threads: int = 1, **resources: object) -> None:
            self.threads = threads
            self.resources = Res(resources)

    assert set_gres_string(Job(gpu=1)).strip() == "--gpus=1"
    assert set_gres_string(Job(gpu=1, gpu_model="h100")).strip() == "--gpus=h100:1"
    assert set_gres_string(Job(gpu=0)).strip() == ""
    # without a cpus_per_task resource the plugin requests the rule's threads (normalise_vcf: 2)
    from snakemake_executor_plugin_slurm.submit_string import get_cpu_setting

    assert get_cpu_setting(Job(threads=2, **normalise[0]), False) == "--cpus-per-task=2"
    assert get_cpu_setting(Job(threads=2, cpus_per_task=1), False) == "--cpus-per-task=1"
    if not has_gpu_model:
        pytest.skip("workflow schema has no models[].gpu_model: gpu_model part not checked")


def ci_profile(repo_root: Path, where: Path) -> Path:
    """The real profile with the settings a one-node CPU test cluster needs."""
    profile = yaml.safe_load((repo_root / PROFILE).read_text())
    profile.update(
        {
            "slurm-no-account": True,
            "slurm-status-command": "squeue",
            "slurm-init-seconds-before-status-checks": 1,
            "slurm-keep-successful-logs": True,
            "jobs": 6,
            "latency-wait": 5,
            "retries": 0,
        }
    )
    profile["default-resources"].update(
        {"slurm_partition": PARTITION, "mem_mb": "500 * attempt", "runtime": 30}
    )
    for res in profile["set-resources"].values():
        res.update({"slurm_partition": PARTITION, "mem_mb": "1000 * attempt", "runtime": 30})
        res["cpus_per_task"] = 1
    profile["set-threads"] = {k: 1 for k in profile.get("set-threads", {})}
    where.mkdir(parents=True, exist_ok=True)
    (where / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return where


@pytest.fixture(scope="module")
def slurm_cluster():
    why = missing_requirements()
    if why:
        pytest.skip("cannot start a SLURM test cluster: " + "; ".join(why))
    # 6 job slots on this 2-core machine: most of a test job's time is start-up and waiting
    cluster = SingleNodeSlurm(memory_mb=8000, cpus=6)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.cleanup()  # stops munged/slurmctld/slurmd by PID


@pytest.mark.slow
def test_cluster_runs_jobs(slurm_cluster: SingleNodeSlurm) -> None:
    sinfo = slurm_cluster.run("sinfo", "-h", "-o", "%P %a %T")
    assert sinfo.returncode == 0 and sinfo.stdout.split() == [f"{PARTITION}*", "up", "idle"]
    srun = slurm_cluster.run("srun", "-N1", "-n1", "hostname", timeout=60)
    assert srun.returncode == 0, srun.stderr
    assert srun.stdout.strip() == slurm_cluster.host


@pytest.mark.slow
def test_demo_on_real_slurm(
    slurm_cluster: SingleNodeSlurm, repo_root: Path, tmp_path: Path
) -> None:
    config = small_demo(repo_root, tmp_path / "run", overrides={"genes.shards": 1})
    profile = ci_profile(repo_root, tmp_path / "profile")
    t0 = time.monotonic()
    res = run_snakemake(
        repo_root,
        tmp_path / "run",
        config,
        "--profile",
        str(profile),
        env=slurm_cluster.env(snakemake_env()),
        timeout=900,
    )
    elapsed = time.monotonic() - t0
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-6000:] + "\n" + slurm_cluster.logs()
    print(f"demo on SLURM: {elapsed:.1f} s")

    run = tmp_path / "run"
    submitted = re.findall(r"submitted with SLURM jobid (\d+)|SLURM jobid (\d+)", out)
    job_ids = {a or b for a, b in submitted}
    assert len(job_ids) >= 10, out[-3000:]
    # every job left its SLURM log (kept on success in the CI profile) under .snakemake
    logs = list((run / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert {p.parent.parent.name for p in logs} >= {"rule_predict", "rule_haplotypes"}
    assert len(logs) == len(job_ids)
    # slurmctld started every one of them on the test node and saw it complete
    ran = jobs_run(slurm_cluster.base / "log" / "slurmctld.log", job_ids)
    assert ran == {job: slurm_cluster.host for job in job_ids}, slurm_cluster.logs()

    corr = pd.read_csv(run / "results" / "evaluation" / "gene_correlations.tsv", sep="\t")
    assert set(corr["model"]) >= {"enformer_tiny_random", "xpresso"}
    assert (run / "results" / "report" / "correlation_distribution.svg").stat().st_size > 1000
    assert (run / "results" / "evaluation" / "summary.json").exists()
