"""cis-eQTL statistics against statsmodels OLS on real data; selection and concordance by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from pexbench.dosages import dosage_frame
from pexbench.eqtl import (
    EQTL_COLUMNS,
    cis_eqtl,
    map_to_alleles,
    ols_dosage_effects,
    select_variants,
    sign_concordance,
)
from pexbench.errors import InputError
from pexbench.expression import read_covariates, read_expression, to_tidy


@pytest.fixture(scope="module")
def real(shared_data: Path):
    from pexbench.variants import read_variants, vcf_samples

    vcf = shared_data / "genotypes" / "geuvadis423.chr22.unphased.vcf.gz"
    expr_path = shared_data / "expression" / "genes.50percent.chr22.bed.gz"
    matrix = read_expression(expr_path)
    inds = [c for c in matrix.columns if c in set(vcf_samples(vcf))]
    bed = pd.read_csv(expr_path, sep="\t", usecols=[0, 1, 3])
    genes = pd.DataFrame({"gene_id": bed["gene"], "chrom": bed["#chr"], "tss": bed["start"]})
    genes = genes.iloc[[10, 200, 400]].reset_index(drop=True)
    frames = [
        dosage_frame(read_variants(vcf, "22", t - 30_000, t + 30_001, inds, unphased="as_phased"))
        for t in genes["tss"]
    ]
    geno = pd.concat(frames, ignore_index=True).drop_duplicates(["variant_id", "pos"])
    cov = read_covariates(shared_data / "expression" / "genes.covariates.pc50.txt.gz", n=6)
    measured = to_tidy(matrix.loc[genes["gene_id"], inds])
    return measured, genes, geno, cov, inds


def test_cis_eqtl_matches_statsmodels(real) -> None:
    measured, genes, geno, cov, inds = real
    table = cis_eqtl(measured, genes, geno, window=30_000, covariates=cov)
    assert list(table.columns) == EQTL_COLUMNS
    assert (table["distance_to_tss"].abs() <= 30_000).all()
    assert table["chrom"].eq("22").all()  # genes on chr22 matched to VCF contig 22
    for gene_id, sub in table.groupby("gene_id"):
        y = measured[measured["gene_id"] == gene_id].set_index("individual")["measured"][inds]
        ok = sub[sub["status"] == "ok"]
        assert len(ok) >= 5
        pick = ok.iloc[np.unique(np.linspace(0, len(ok) - 1, 8).astype(int))]
        for _, row in pick.iterrows():
            x = geno.loc[geno["variant_id"] == row["variant_id"], inds].to_numpy()[0]
            design = np.column_stack([np.ones(len(inds)), cov[inds].to_numpy().T, x])
            fit = sm.OLS(y.to_numpy(), design).fit()
            np.testing.assert_allclose(row["beta"], fit.params[-1], rtol=1e-9)
            np.testing.assert_allclose(row["se"], fit.bse[-1], rtol=1e-9)
            np.testing.assert_allclose(row["p"], fit.pvalues[-1], rtol=1e-7)
        mono = sub[sub["status"] == "monomorphic"]
        for vid in mono["variant_id"]:
            assert np.ptp(geno.loc[geno["variant_id"] == vid, inds].to_numpy()) == 0


def test_ols_missing_dosage_and_no_covariates() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, size=(50, 3)).astype(float)
    x[:, 2] = 1.0  # monomorphic
    y = 0.5 * x[:, 0] + rng.normal(size=50)
    beta, se, _, p = ols_dosage_effects(y, x)
    fit = sm.OLS(y, sm.add_constant(x[:, 0])).fit()
    np.testing.assert_allclose([beta[0], se[0], p[0]], [fit.params[1], fit.bse[1], fit.pvalues[1]])
    assert np.isnan(beta[2]) and np.isnan(p[2])


def test_all_missing_dosage_and_no_common_individuals() -> None:
    import warnings

    inds = ["A", "B", "C", "D", "E"]
    measured = pd.DataFrame(
        {"gene_id": "g", "individual": inds, "measured": [1.0, 2.0, 0.5, 3.0, 2.5]}
    )
    genes = pd.DataFrame({"gene_id": ["g"], "chrom": ["22"], "tss": [1000]})
    geno = pd.DataFrame(
        {
            "variant_id": ["v_ok", "v_mono", "v_miss"],
            "chrom": "22",
            "pos": [990, 995, 1005],
            "A": [0.0, 1.0, np.nan],
            "B": [1.0, 1.0, np.nan],
            "C": [2.0, 1.0, np.nan],
            "D": [1.0, 1.0, np.nan],
            "E": [0.0, 1.0, np.nan],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Mean of empty slice" RuntimeWarning
        res = cis_eqtl(measured, genes, geno, window=100)
    status = dict(zip(res["variant_id"], res["status"], strict=True))
    assert status == {"v_ok": "ok", "v_mono": "monomorphic", "v_miss": "all missing"}
    miss = res[res["variant_id"] == "v_miss"].iloc[0]
    assert np.isnan(miss["beta"]) and np.isnan(miss["p"]) and miss["n_imputed"] == 5
    fit = sm.OLS(
        measured["measured"].to_numpy(), sm.add_constant(geno.loc[0, inds].to_numpy(float))
    ).fit()
    assert res.loc[res["variant_id"] == "v_ok", "beta"].iloc[0] == pytest.approx(fit.params[1])
    other = geno.rename(columns={i: f"X{i}" for i in inds})
    with pytest.raises(InputError, match=r"\['g'\].*same sample IDs"):
        cis_eqtl(measured, genes, other, window=100)


def test_select_lead_and_threshold() -> None:
    eq = pd.DataFrame(
        {
            "gene_id": ["a", "a", "a", "b", "b", "c"],
            "variant_id": ["a1", "a2", "a3", "b1", "b2", "c1"],
            "distance_to_tss": [500, -10, 20, 5, 6, 0],
            "p": [1e-8, 1e-8, 1e-3, 0.2, np.nan, np.nan],
        }
    )
    lead = select_variants(eq, mode="lead", p_threshold=0.5)
    # gene a: tie on p -> closest to the TSS; gene c has no p -> no lead
    assert list(lead["variant_id"]) == ["a2", "b1"]
    # p_threshold applies in lead mode too: b's lead (p 0.2) fails p < 0.1; p == threshold fails
    assert list(select_variants(eq, mode="lead", p_threshold=0.1)["variant_id"]) == ["a2"]
    assert list(select_variants(eq, mode="lead", p_threshold=0.2)["variant_id"]) == ["a2"]
    assert select_variants(eq, mode="lead")["variant_id"].tolist() == ["a2"]  # default 1e-5
    thr = select_variants(eq, mode="threshold", p_threshold=1e-2, max_per_gene=2)
    assert list(thr["variant_id"]) == ["a2", "a1"]
    thr1 = select_variants(eq, mode="threshold", p_threshold=1e-2, max_per_gene=5)
    assert list(thr1["variant_id"]) == ["a2", "a1", "a3"]
    with pytest.raises(InputError):
        select_variants(eq, mode="best")  # type: ignore[arg-type]


def test_sign_concordance_hand() -> None:
    got = sign_concordance([0.3, -0.2, 0.0, 0.5, -1e-9, 0.1], [1.0, 2.0, 1.0, 0.0, -3.0, np.nan])
    assert got.tolist() == [True, False, pd.NA, pd.NA, True, pd.NA]


def test_map_to_alleles_split_multiallelic_same_id() -> None:
    """bcftools norm -m -any keeps the ID: two split alleles of rs2 at 200 both pass the
    threshold. Before: pandas MergeError (validate="one_to_one"); now both are reported."""
    chosen = pd.DataFrame(
        {
            "gene_id": ["g", "g", "g", "g", "h"],
            "variant_id": ["rs1", "rs2", "rs2", "rs9", "rs3"],
            "pos": [100, 200, 200, 900, 300],
            "p": [1e-9, 1e-8, 1e-7, 1e-6, 1e-6],
        }
    )
    alleles = pd.DataFrame(
        {
            "gene_id": ["g", "g", "g", "h", "h"],
            "variant_id": ["rs1", "rs2", "rs2", "rs3", "rs3"],
            "pos": [100, 200, 200, 300, 300],
            "allele_index": [0, 1, 2, 0, 1],
            "ref": ["A", "C", "C", "G", "G"],
            "alt": ["G", "T", "A", "A", "T"],
        }
    )
    got = map_to_alleles(chosen, alleles)
    assert got["scored"].tolist() == [
        "yes",
        "ambiguous variant id",
        "ambiguous variant id",
        "outside the haplotype window",
        "ambiguous variant id",  # rs3 names two alleles of h's table
    ]
    assert got["allele_index"].tolist()[0] == 0 and got["allele_index"].isna().tolist() == [
        False,
        True,
        True,
        True,
        True,
    ]
    assert got["p"].tolist() == chosen["p"].tolist()  # order and columns of `chosen` kept
    # one eQTL row per split allele, but only one allele in the table: still ambiguous
    one = map_to_alleles(chosen.iloc[1:3], alleles.iloc[[1]])
    assert set(one["scored"]) == {"ambiguous variant id"}
    # an empty allele table (no genes in the shard): everything is outside
    empty = pd.DataFrame(columns=["gene_id", "variant_id", "pos", "allele_index", "ref", "alt"])
    out = map_to_alleles(chosen, empty)["scored"].tolist()
    assert (
        out
        == ["outside the haplotype window"]
        + ["ambiguous variant id"] * 2
        + ["outside the haplotype window"] * 2
    )
