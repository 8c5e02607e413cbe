"""Rule interpret's job (pexbench.interpret.job) on a generated 12-kb contig with SNVs and
indels, with the tiny random Enformer and Xpresso's real weights.

Oracles: the exact effects equal the workflow's own single-variant predictions
(`pexbench.predict.predict_variants`, alt allele alone in the reference through the model's
`predict`), hand-counted SNV / indel / outside numbers, attention rows that sum to 1, and
gradient x input equal to `contributions` called directly on a sequence built independently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vcfcase import write_case

from pexbench.errors import InputError
from pexbench.genome import Reference
from pexbench.haplotypes import haplotypes_for_gene, load_shard, save_shard
from pexbench.interpret.contributions import contributions
from pexbench.interpret.job import interpret_shard, load_arrays, save_arrays, select_genes
from pexbench.interpret.readout import ReadoutSpec
from pexbench.models import load_model
from pexbench.predict import predict_variants
from pexbench.stats import SIGN_NEG, SIGN_NS, SIGN_POS
from pexbench.tables import write_table

LENGTH = 14_000  # Xpresso's minimum; the tiny Enformer reads the central 4,096 bp
TSS = 7_000
ENFORMER = {
    "name": "tiny",
    "type": "enformer",
    "weights": "tiny",
    "tracks": [5110],
    "device": "cpu",
    "bin_reduce": "mean",
    "seed": 0,
    "sequence_length": 4096,
}


def xpresso_spec(repo_root: Path) -> dict:
    weights = str(repo_root / "resources/demo/xpresso_GM12878.h5")
    return {
        "name": "xp",
        "type": "xpresso",
        "weights": weights,
        "device": "cpu",
        "bin_reduce": "mean",
    }


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("interpret")
    rng = np.random.default_rng(3)
    seq = "".join(rng.choice(list("ACGT"), 16_000))

    def snv(pos: int, gts: list[str]) -> tuple:
        ref = seq[pos - 1]
        return (pos, ref, "ACGT"[("ACGT".index(ref) + 1) % 4], gts)

    records = [
        snv(2_500, ["0|1", "1|1"]),  # outside the tiny Enformer's 4,096 bp, inside Xpresso's
        snv(6_950, ["1|0", "0|1"]),
        (7_100, seq[7_099], seq[7_099] + "TT", ["0|1", "0|0"]),  # insertion
        (7_300, seq[7_299:7_302], seq[7_299], ["1|1", "0|1"]),  # deletion
        snv(7_800, ["0|0", "1|0"]),
    ]
    fasta, vcf = write_case(tmp, records, samples=("A", "B"), ref_seq=seq)
    reference = Reference(fasta)
    rows = [
        {"gene_id": "G1", "symbol": "G1", "chrom": "chr1", "tss": TSS, "strand": "+"},
        {"gene_id": "G2", "symbol": "G2", "chrom": "chr1", "tss": TSS + 200, "strand": "-"},
    ]
    genes = [haplotypes_for_gene(vcf, reference, row, LENGTH, None) for row in rows]
    shard = tmp / "shard.npz"
    save_shard(shard, genes)
    table = tmp / "genes.tsv"
    write_table(pd.DataFrame(rows).assign(shard=0), table, kind="genes")
    return {"shard": shard, "fasta": fasta, "genes": table}


def run(case: dict, spec: dict, measures: tuple[str, ...], targets=None, **settings) -> object:
    return interpret_shard(
        case["shard"],
        case["fasta"],
        case["genes"],
        spec,
        measures=measures,
        settings=settings,
        targets=targets,
        haplotype_length=LENGTH,
        index=0,
        threads=1,
    )


def test_select_genes() -> None:
    genes = pd.DataFrame({"gene_id": ["a", "b", "c", "d"]})
    corr = pd.DataFrame(
        {
            "model": ["m", "m", "m", "other"],
            "gene_id": ["a", "b", "c", "d"],
            "pearson_p": [0.01, 0.001, 0.5, 1e-9],
            "sign_class": [SIGN_POS, SIGN_NEG, SIGN_NS, SIGN_NEG],
        }
    )
    assert select_genes(genes, "all", model="m") == ["a", "b", "c", "d"]
    assert select_genes(genes, "all", model="m", max_genes=2) == ["a", "b"]
    assert select_genes(genes, "significant", model="m", correlations=corr) == ["b", "a"]
    assert select_genes(genes, ["c", "a"], model="m") == ["a", "c"]
    with pytest.raises(InputError, match=r"interpretation.genes: \['zz'\]"):
        select_genes(genes, ["zz", "a"], model="m")


def test_enformer_shard(case: dict, repo_root: Path, tmp_path: Path) -> None:
    targets = str(repo_root / "resources/demo/targets_human.txt")
    result = run(case, ENFORMER, ("attention", "contributions"), targets=targets)
    eff = result.effects
    genes = load_shard(case["shard"])
    # per gene: 5 alleles; the SNV at 2,500 (0-based 2,499) lies outside the 4,096 bp
    assert result.counts["genes_interpreted"] == 2 and result.counts["genes_not_selected"] == 0
    assert result.counts["n_snv"] == 2 * 2 and result.counts["n_indels_ism_only"] == 2 * 2
    assert result.counts["n_outside"] == 2 * 1
    snv = eff["kind"] == "snv"
    assert eff.loc[snv, "first_order"].notna().all() and eff.loc[~snv, "first_order"].isna().all()
    # exact effects = the workflow's single-variant predictions (alt alone in the reference)
    model = load_model({k: v for k, v in ENFORMER.items() if v is not None}, targets=targets)
    wanted = eff[["gene_id", "allele_index"]]
    oracle = predict_variants(genes, Reference(case["fasta"]), model, wanted)
    expected = (oracle["alt_value"] - oracle["ref_value"]).to_numpy()
    np.testing.assert_allclose(
        eff["ism"].to_numpy(), expected, rtol=1e-4, atol=1e-6, equal_nan=True
    )
    arrays = result.arrays
    assert arrays["attention"].dtype == np.float16
    assert arrays["attention"].shape[:1] == (2,) and arrays["attention"].shape[-1] == 32
    np.testing.assert_allclose(arrays["attention"].astype(np.float32).sum(-1), 1.0, atol=5e-3)
    np.testing.assert_allclose(arrays["attention_profile"].sum(-1), 1.0, atol=2e-4)  # from float16
    # gradient x input = contributions at an independently built reference window
    seq = Reference(case["fasta"]).fetch("chr1", TSS - 2048, TSS + 2048)
    direct = contributions(model, seq, ReadoutSpec())
    np.testing.assert_allclose(arrays["grad_x_input"][0], direct.grad_x_input, rtol=1e-5, atol=1e-8)
    # shares sum to 1 per gene, measure and grouping
    shares = result.enrichment.groupby(["gene_id", "measure", "grouping"])
    np.testing.assert_allclose(shares["mass_share"].sum(), 1.0)
    np.testing.assert_allclose(shares["base_share"].sum(), 1.0)
    assert set(result.enrichment["measure"]) == {"attention", "contribution"}
    # per haplotype: one attention row per distinct sequence, mapped from every haplotype
    one = run(case, ENFORMER, ("attention",), targets=targets, max_genes=1, per_haplotype=True)
    unique = genes[0].unique
    assert one.arrays["haplotype_row"].shape == (len(unique),)
    assert one.arrays["haplotype_attention"].shape[0] == one.counts["haplotype_sequences"]
    empty = [h for h, u in enumerate(unique) if len(u) == 0]
    for h in empty:  # a haplotype without alleles is the reference
        row = one.arrays["haplotype_row"][h]
        np.testing.assert_array_equal(
            one.arrays["haplotype_attention"][row], arrays["attention"][0]
        )
    path = save_arrays(arrays, tmp_path / "x.npz")
    assert load_arrays(path)["gene_id"].tolist() == ["G1", "G2"]


def test_xpresso_contributions_only_and_max_genes(case: dict, repo_root: Path) -> None:
    result = run(case, xpresso_spec(repo_root), ("contributions",), max_genes=1)
    assert result.counts["genes_interpreted"] == 1 and result.counts["genes_not_selected"] == 1
    assert "attention" not in result.arrays
    assert set(result.enrichment["measure"]) == {"contribution"}
    # Xpresso reads 10,500 bp: every base group covers only that window
    assert result.enrichment.groupby("grouping")["n_bases"].sum().eq(10_500).all()
    assert result.counts["n_outside"] == 0 and result.counts["n_indels_ism_only"] == 2
