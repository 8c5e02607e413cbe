"""Measured expression: the header rules, reading, bad input, covariates (vs statsmodels), RINT
(vs scipy), gene-table ids."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from pexbench.errors import InputError
from pexbench.expression import (
    count_missing,
    expression_genes,
    expression_layout,
    expression_samples,
    prepare_measured,
    rank_inverse_normal,
    read_covariates,
    read_expression,
    regress_covariates,
    restrict_individuals,
    to_gene_table_ids,
    to_tidy,
)


@pytest.fixture(scope="module")
def expr_path(shared_data: Path) -> Path:
    return shared_data / "expression" / "genes.50percent.chr22.bed.gz"


def _raw_lines(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt") as handle:
        return [line.rstrip("\n").split("\t") for line in handle]


def test_read_real_bed_matches_text(expr_path: Path) -> None:
    m = read_expression(expr_path)
    lines = _raw_lines(expr_path)
    assert m.shape == (608, 358)
    assert list(m.columns) == lines[0][6:]
    assert m.index[0] == lines[1][3] == "ENSG00000215270.3"
    for i in (1, 300, 608):
        row = lines[i]
        np.testing.assert_array_equal(m.loc[row[3]].to_numpy(), np.array(row[6:], dtype=float))
    assert count_missing(m) == 0


def test_individuals_absent_from_vcf_are_reported(shared_data: Path, expr_path: Path) -> None:
    import pysam

    vcf = shared_data / "genotypes" / "geuvadis423.chr22.unphased.vcf.gz"
    with pysam.VariantFile(str(vcf)) as handle:
        vcf_samples = list(handle.header.samples)
    tidy, dropped, counts = prepare_measured(expr_path, individuals=vcf_samples)
    header = _raw_lines(expr_path)[0][6:]
    expected_dropped = [s for s in header if s not in set(vcf_samples)]
    assert counts["individuals"] == 330
    assert counts["individuals_dropped"] == 28 == len(expected_dropped)
    assert list(dropped["individual"]) == expected_dropped
    assert set(dropped["reason"]) == {"not in genotypes"}
    assert len(tidy) == 330 * 608
    assert list(tidy.columns) == ["gene_id", "individual", "measured"]
    with pytest.raises(InputError, match="none of its individuals"):
        prepare_measured(expr_path, individuals=["nobody"])


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_duplicated_gene_ids(tmp_path: Path) -> None:
    p = _write(tmp_path / "e.tsv", "gene_id\tA\tB\ng1\t1\t2\ng2\t3\t4\ng1\t5\t6\n")
    with pytest.raises(InputError, match=r"e\.tsv.*'g1'.*lines \[2, 4\]"):
        read_expression(p)


def test_non_numeric_value_names_line_gene_column(tmp_path: Path) -> None:
    p = _write(tmp_path / "e.tsv", "gene_id\tA\tB\ng1\t1\t2\ng2\t3\tabc\n")
    with pytest.raises(InputError, match=r"e\.tsv: line 3, row 'g2', column 'B'.*'abc'"):
        read_expression(p)


def test_missing_values_counted_and_bed_layout(tmp_path: Path) -> None:
    text = (
        "#chr\tstart\tend\tgene\tlength\tstrand\tA\tB\tC\n"
        "chr1\t9\t10\tg1\t5\t+\t1.5\tNA\t2\n"
        "chr1\t19\t20\tg2\t5\t-\t\t3\t.\n"
    )
    m = read_expression(_write(tmp_path / "e.bed", text))
    assert count_missing(m) == 3
    assert m.loc["g1", "A"] == 1.5
    tidy = to_tidy(m)
    assert len(tidy) == 3  # missing values are not rows
    with pytest.raises(InputError, match="header starts with"):
        read_expression(_write(tmp_path / "x.tsv", "foo\tA\nx\t1\n"))


def test_rint_blom_with_ties() -> None:
    m = pd.DataFrame([[3.0, 1.0, 2.0, 2.0, np.nan]], index=["g"], columns=list("ABCDE"))
    z = rank_inverse_normal(m).to_numpy()[0]
    # ranks 4, 1, 2.5, 2.5 of n = 4 non-missing: Phi^-1((r - 3/8) / (4 + 1/4))
    expected = sps.norm.ppf((np.array([4, 1, 2.5, 2.5]) - 0.375) / 4.25)
    np.testing.assert_allclose(z[:4], expected, rtol=1e-13)
    assert np.isnan(z[4])


def test_covariates_real_match_statsmodels(shared_data: Path, expr_path: Path) -> None:
    cov_path = shared_data / "expression" / "genes.covariates.pc50.txt.gz"
    cov = read_covariates(cov_path, n=5)
    assert cov.shape == (5, 358)
    assert str(cov.index[0]).endswith("genotypes_1_1_svd_PC1")
    by_name = read_covariates(cov_path, names=["genes_1_1_svd_PC2", "genotypes_1_1_svd_PC1"])
    assert [str(i).rsplit("/", 1)[-1] for i in by_name.index] == [
        "genes_1_1_svd_PC2",
        "genotypes_1_1_svd_PC1",
    ]
    with pytest.raises(InputError, match="not found"):
        read_covariates(cov_path, names=["PC999"])
    m = read_expression(expr_path).iloc[:25]
    m.iloc[3, 7] = np.nan  # a gene with a missing value is fitted on the others
    res = regress_covariates(m, cov)
    for gene in (m.index[0], m.index[3], m.index[24]):
        y = m.loc[gene]
        keep = y.notna()
        design = sm.add_constant(cov.T.loc[y.index[keep]].to_numpy())
        fit = sm.OLS(y[keep].to_numpy(), design).fit()
        np.testing.assert_allclose(res.loc[gene][keep].to_numpy(), fit.resid, atol=1e-10)
    assert np.isnan(res.iloc[3, 7])
    # individuals without covariates -> clear error
    extra = m.copy()
    extra["NOBODY"] = 1.0
    with pytest.raises(InputError, match="no covariates"):
        regress_covariates(extra, cov)


def test_restrict_individuals_keeps_matrix_order() -> None:
    m = pd.DataFrame([[1.0, 2.0, 3.0]], index=["g"], columns=["A", "B", "C"])
    kept, dropped = restrict_individuals(m, ["C", "A", "Z"])
    assert list(kept.columns) == ["A", "C"]
    assert list(dropped["individual"]) == ["B"]


def test_expression_samples_real(expr_path: Path) -> None:
    samples = expression_samples(expr_path)
    assert len(samples) == 358 and samples[0] == "HG00096" and samples[-1] == "NA20828"
    layout = expression_layout(expr_path)
    assert layout.fmt == "bed" and layout.gene_columns == [
        "#chr",
        "start",
        "end",
        "gene",
        "length",
        "strand",
    ]
    genes = expression_genes(expr_path)
    assert len(genes) == 608 and genes["tss"].dtype == np.int64
    assert genes["gene_id"].tolist() == list(read_expression(expr_path).index)
    assert samples == list(read_expression(expr_path).columns)


def test_expression_samples_tsv(tmp_path: Path) -> None:
    tsv = _write(tmp_path / "expr.tsv", "gene_id\tA1\tB2\tC3\nG1\t1\t2\t3\n")
    assert expression_samples(tsv) == ["A1", "B2", "C3"]
    assert expression_genes(tsv)["gene_id"].tolist() == ["G1"]
    # one header rule for every reader: a gene-metadata column among the individuals is an
    # error (it used to be skipped by the individuals reader and read as values by the other)
    meta = _write(tmp_path / "meta.tsv", "gene_id\tsymbol\tA1\tB2\tC3\nG1\tx\t1\t2\t3\n")
    for reader in (expression_samples, read_expression):
        with pytest.raises(InputError, match=r"column 2 \('symbol'\) must name an individual"):
            reader(meta)
    dup = _write(tmp_path / "dup.tsv", "gene_id\tA1\tA1\nG1\t1\t2\n")
    for reader in (expression_samples, read_expression):
        with pytest.raises(InputError, match="repeats individual"):
            reader(dup)
    with pytest.raises(InputError, match="header starts with"):
        expression_samples(_write(tmp_path / "x.tsv", "foo\tA\nx\t1\n"))
    with pytest.raises(InputError, match="is empty"):
        expression_samples(_write(tmp_path / "empty.tsv", ""))
    with pytest.raises(InputError, match=r"inputs\.expression"):
        expression_samples(tmp_path / "missing.tsv")


def test_to_gene_table_ids() -> None:
    tidy = pd.DataFrame(
        {
            "gene_id": ["G2", "G2", "G1.4", "G1.4", "G9", "G9"],
            "individual": ["B", "A", "B", "A", "A", "B"],
            "measured": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    got, unmatched = to_gene_table_ids(tidy, ["G1.3", "G2", "G7"])
    # G1.4 of the expression is G1.3 of the gene table (matched without version suffix)
    assert got.to_dict("list") == {
        "gene_id": ["G1.3", "G1.3", "G2", "G2"],
        "individual": ["A", "B", "A", "B"],
        "measured": [4.0, 3.0, 2.0, 1.0],
    }
    assert unmatched == ["G9"]


def test_prepare_measured_gene_table_ids(expr_path: Path) -> None:
    matrix = read_expression(expr_path)
    wanted = [str(matrix.index[5]), str(matrix.index[2]).rsplit(".", 1)[0]]
    tidy, _, counts = prepare_measured(expr_path, gene_ids=wanted)
    assert sorted(set(tidy["gene_id"])) == sorted(wanted)
    assert counts["genes_not_in_gene_table"] == 608 - 2
    assert len(tidy) == 2 * 358
    assert tidy[["gene_id", "individual"]].equals(
        tidy[["gene_id", "individual"]].sort_values(["gene_id", "individual"])
    )
