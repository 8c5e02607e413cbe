"""The individuals of a run: VCF ∩ expression (∩ covariates), requested/excluded lists, reasons.

Oracles: set arithmetic on the VCF and expression headers, hand-written expectations.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pysam
import pytest
from vcfcase import write_fasta_vcf

from pexbench import individuals
from pexbench.errors import InputError
from pexbench.tables import read_table, write_table


def _small_vcf(tmp_path: Path, samples: list[str]) -> Path:
    gts = "\t".join(["0|1"] * len(samples))
    _, vcf = write_fasta_vcf(
        tmp_path, "ACGTACGTAC", [f"chr1\t3\t.\tG\tT\t.\tPASS\t.\tGT\t{gts}"], samples
    )
    return vcf


def _covariates(path: Path, ids: list[str]) -> Path:
    rows = ["id\t" + "\t".join(ids)] + [f"PC{k}\t" + "\t".join("0.5" for _ in ids) for k in (1, 2)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_select_individuals_sets(tmp_path: Path) -> None:
    vcf = _small_vcf(tmp_path, ["A", "B", "C", "D"])
    expr = tmp_path / "e.tsv"
    expr.write_text("gene_id\tD\tB\tE\tA\nG\t1\t2\t3\t4\n")
    kept, dropped = individuals.select_individuals(vcf, expr)
    assert kept == ["A", "B", "D"]
    assert dropped.to_dict("records") == [
        {"individual": "C", "source": "vcf", "reason": "not in expression"},
        {"individual": "E", "source": "expression", "reason": "not in VCF"},
    ]
    kept, dropped = individuals.select_individuals(
        vcf, expr, requested=["D", "A", "Z"], excluded=["A"]
    )
    assert kept == ["D"]
    reasons = dict(zip(dropped["individual"], dropped["reason"], strict=True))
    assert reasons == {
        "A": "excluded",
        "B": "not requested",
        "C": "not in expression",
        "E": "not in VCF",
        "Z": "not in VCF or expression",
    }
    listing = tmp_path / "keep.txt"
    listing.write_text("# wanted\nB\tpop\n")
    assert individuals.select_individuals(vcf, expr, requested=listing)[0] == ["B"]
    table = individuals.individuals_table(*individuals.select_individuals(vcf, expr))
    assert len(table) == 5 and (table["reason"] == "kept").sum() == 3
    assert list(table.columns) == ["individual", "kept", "source", "reason"]
    assert table["kept"].tolist() == [True, True, True, False, False]


def test_select_individuals_covariates(tmp_path: Path) -> None:
    vcf = _small_vcf(tmp_path, ["A", "B", "C", "D"])
    expr = tmp_path / "e.tsv"
    expr.write_text("gene_id\tD\tB\tE\tA\nG\t1\t2\t3\t4\n")
    cov = _covariates(tmp_path / "cov.txt", ["A", "D", "E"])
    kept, dropped = individuals.select_individuals(vcf, expr, covariates=cov)
    assert kept == ["A", "D"]
    assert dropped.to_dict("records")[-1] == {
        "individual": "B",
        "source": "covariates",
        "reason": "no covariates",
    }
    none = _covariates(tmp_path / "none.txt", ["X", "Y"])
    with pytest.raises(InputError, match="no individual left") as err:
        individuals.select_individuals(vcf, expr, covariates=none)
    assert str(none) in str(err.value) and "expression.covariates_n" in str(err.value)


def test_kept_individuals_reads_the_table(tmp_path: Path) -> None:
    vcf = _small_vcf(tmp_path, ["A", "B", "C", "D"])
    expr = tmp_path / "e.tsv"
    expr.write_text("gene_id\tD\tB\tE\tA\nG\t1\t2\t3\t4\n")
    path = write_table(
        individuals.individuals_table(*individuals.select_individuals(vcf, expr)),
        tmp_path / "individuals.tsv",
    )
    assert individuals.kept_individuals(path) == ["A", "B", "D"]
    assert read_table(path)["kept"].tolist() == [True, True, True, False, False]


def test_select_individuals_empty(tmp_path: Path) -> None:
    vcf = _small_vcf(tmp_path, ["NA12878@1099927697", "NA12891@1099927856"])
    expr = tmp_path / "e.tsv"
    expr.write_text("gene_id\tNA12878\tNA12891\nG\t1\t2\n")
    with pytest.raises(InputError) as err:
        individuals.select_individuals(vcf, expr)
    message = str(err.value)
    assert str(vcf) in message and str(expr) in message
    assert "NA12878@1099927697" in message and "NA12891" in message
    assert "bcftools reheader -s" in message


def test_select_individuals_real(shared_data: Path) -> None:
    vcf = shared_data / "genotypes" / "geuvadis423.chr22.unphased.vcf.gz"
    bed = shared_data / "expression" / "genes.50percent.chr22.bed.gz"
    kept, dropped = individuals.select_individuals(vcf, bed)
    # independent: set arithmetic on the VCF header and the BED header
    vcf_ids = pysam.VariantFile(str(vcf)).header.samples
    with gzip.open(bed, "rt") as fh:
        bed_ids = fh.readline().rstrip("\n").split("\t")[6:]
    assert len(kept) == 330 == len(set(vcf_ids) & set(bed_ids))
    assert dropped["reason"].value_counts().to_dict() == {
        "not in expression": 423 - 330,
        "not in VCF": 358 - 330,
    }


def test_select_individuals_real_covariates(shared_data: Path) -> None:
    vcf = shared_data / "genotypes" / "geuvadis423.chr22.unphased.vcf.gz"
    bed = shared_data / "expression" / "genes.50percent.chr22.bed.gz"
    cov = shared_data / "expression" / "genes.covariates.pc50.txt.gz"
    kept, _ = individuals.select_individuals(vcf, bed, covariates=cov)
    with gzip.open(cov, "rt") as fh:
        cov_ids = set(fh.readline().split()[1:])
    assert len(kept) == len(set(individuals.select_individuals(vcf, bed)[0]) & cov_ids)


def test_select_individuals_real_hapmap_suffix(shared_data: Path) -> None:
    vcf = shared_data / "genotypes" / "hapmap_exome.chr22.unphased.vcf.gz"
    bed = shared_data / "expression" / "genes.50percent.chr22.bed.gz"
    with pytest.raises(InputError, match="no individual is in both") as err:
        individuals.select_individuals(vcf, bed)
    assert "NA07034@1099927558" in str(err.value) and "HG00096" in str(err.value)
