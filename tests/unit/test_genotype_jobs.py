"""The eqtl and baseline jobs of a shard equal the statistics run gene by gene on its dosages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vcfcase import write_fasta_vcf

from pexbench.baseline import elastic_net_baseline
from pexbench.dosages import dosage_frame
from pexbench.eqtl import cis_eqtl
from pexbench.expression import read_covariates
from pexbench.genotype_jobs import shard_baseline, shard_eqtl
from pexbench.tables import read_table, write_table
from pexbench.variants import read_variants

WINDOW = 300


@pytest.fixture(scope="module")
def shard(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """GENERATED fixture: 30 individuals, 40 biallelic SNVs on chr1 (1-4,000), genes a and b in
    shard 0 (b's window overlaps a's), c in shard 1; one missing measurement, one missing call."""
    tmp = tmp_path_factory.mktemp("shard")
    rng = np.random.default_rng(3)
    inds = [f"I{i:02d}" for i in range(30)]
    lines = []
    dos = {}
    for k, pos in enumerate(sorted(rng.choice(np.arange(100, 4000), 40, replace=False))):
        gts = rng.integers(0, 2, size=(30, 2))
        calls = [f"{a}|{b}" for a, b in gts]
        if k == 5:
            calls[2] = ".|."
        lines.append(f"chr1 {pos} v{k} A C . PASS . GT " + " ".join(calls))
        dos[pos - 1] = gts.sum(axis=1)
    _, vcf = write_fasta_vcf(tmp, "A" * 4100, lines, inds)
    genes = pd.DataFrame(
        {
            "gene_id": ["a", "b", "c"],
            "symbol": ["A", "B", "C"],
            "chrom": "1",
            "tss": [1000, 1200, 3000],
            "strand": ["+", "-", "+"],
            "shard": [0, 0, 1],
        }
    )
    near = [p for p in dos if abs(p - 1000) <= WINDOW]
    signal = np.mean([dos[p] for p in near[:2]], axis=0)
    rows = []
    for gene in genes["gene_id"]:
        y = rng.normal(size=30) + (2.0 * signal if gene == "a" else 0.0)
        rows += [(gene, ind, v) for ind, v in zip(inds, y, strict=True)]
    measured = pd.DataFrame(rows, columns=["gene_id", "individual", "measured"])
    measured = measured.drop(index=[3]).reset_index(drop=True)  # gene a, I03: no value
    individuals = pd.DataFrame(
        {
            "individual": [*inds, "X"],
            "kept": [True] * 30 + [False],
            "source": ["vcf+expression"] * 30 + ["expression"],
            "reason": ["kept"] * 30 + ["not in VCF"],
        }
    )
    covariates = tmp / "cov.txt"
    cov = pd.DataFrame(rng.normal(size=(3, 30)), columns=inds)
    cov.insert(0, "id", ["pc1", "pc2", "pc3"])
    cov.to_csv(covariates, sep="\t", index=False)
    return {
        "vcf": vcf,
        "genes": write_table(genes, tmp / "genes.tsv", kind="genes"),
        "individuals": write_table(individuals, tmp / "ind.tsv", kind="individuals"),
        "measured": write_table(measured, tmp / "measured.tsv.gz", kind="measured"),
        "covariates": covariates,
        "frames": (genes, measured, inds, cov.set_index("id")),
    }


def _per_gene(shard: dict, fn, **kwargs) -> list:  # type: ignore[no-untyped-def, type-arg]
    """The old workflow loop: one dosage read and one call per gene (on the tables as read)."""
    genes, _, inds, _ = shard["frames"]
    measured = read_table(shard["measured"], kind="measured")
    out = []
    for gene in genes[genes["shard"] == 0].itertuples(index=False):
        block = read_variants(
            shard["vcf"],
            gene.chrom,
            max(0, gene.tss - WINDOW),
            gene.tss + WINDOW + 1,
            inds,
            unphased="as_phased",
        )
        one = pd.DataFrame([gene._asdict()])
        out.append(
            fn(measured[measured["gene_id"] == gene.gene_id], one, dosage_frame(block), **kwargs)
        )
    return out


def test_shard_eqtl_equals_the_per_gene_scan(shard: dict) -> None:  # type: ignore[type-arg]
    files = {k: shard[k] for k in ("genes", "individuals", "measured", "vcf")}
    cov = read_covariates(shard["covariates"], n=2)
    for covariates, n, kwargs in ((None, None, {}), (shard["covariates"], 2, {"covariates": cov})):
        table = shard_eqtl("000", **files, window=WINDOW, covariates=covariates, covariates_n=n)
        expected = pd.concat(_per_gene(shard, cis_eqtl, window=WINDOW, **kwargs), ignore_index=True)
        pd.testing.assert_frame_equal(table, expected, check_dtype=False, check_exact=True)
        assert set(table["gene_id"]) == {"a", "b"}
        assert table.loc[table["gene_id"] == "a", "n_individuals"].eq(29).all()
    empty = shard_eqtl("005", **files, window=WINDOW)
    assert empty.empty and list(empty.columns) == list(table.columns)


def test_shard_baseline_equals_the_per_gene_fits(shard: dict) -> None:  # type: ignore[type-arg]
    files = {k: shard[k] for k in ("genes", "individuals", "measured", "vcf")}
    predicted, report = shard_baseline("000", **files, window=WINDOW, folds=5, seed=1)
    parts = _per_gene(shard, elastic_net_baseline, window=WINDOW, outer_folds=5, seed=1)
    pd.testing.assert_frame_equal(
        predicted,
        pd.concat([p for p, _ in parts], ignore_index=True),
        check_dtype=False,
        check_exact=True,
    )
    pd.testing.assert_frame_equal(
        report,
        pd.concat([r for _, r in parts], ignore_index=True),
        check_dtype=False,
        check_exact=True,
    )
    assert report["status"].tolist() == ["ok", "ok"]
    none, empty = shard_baseline("007", **files, window=WINDOW, folds=5, seed=1)
    assert none.empty and empty.empty and "status" in empty.columns
