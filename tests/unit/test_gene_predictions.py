"""pexbench.gene_predictions (`pexbench predict`): per-haplotype values equal the model run on
sequences built by bcftools itself; model entries from a config; clear errors.

Data: the bundled demo (resources/demo: real hg19 chr22:16.05-22 Mb, phased 1000 Genomes VCF
with contig `22`, GENCODE v19, Xpresso's trained weights). COMT (+) and CECR5 (-) carry only
SNVs within 7 kb of their TSS, so the 14,000-bp region consensus around the TSS is the anchored
sequence the workflow builds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools
import pytest
from realdata import rename_chr22

from pexbench.cli import main
from pexbench.encoding import encode
from pexbench.errors import InputError
from pexbench.gene_predictions import REFERENCE_LABEL, model_entry, predict_genes
from pexbench.models import load_model
from pexbench.tables import read_table

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo"
FASTA = DEMO / "chr22.GRCh37.16.05-22Mb.fa.gz"
VCF = DEMO / "1kg_phase1.geuvadis423.phased.chr22_16.05-22Mb.vcf.gz"
GTF = DEMO / "gencode.v19.demo.gtf.gz"
WEIGHTS = DEMO / "xpresso_GM12878.h5"
GENES = {"ENSG00000093010": ("+", 19_929_129), "ENSG00000069998": ("-", 17_646_176)}
SAMPLES = ["HG00096", "HG00097", "HG00099", "HG00100", "HG00101", "HG00102"]


def _bcftools_codes(renamed: Path, tmp: Path, tss: int, sample: str, hap: int) -> np.ndarray:
    """`samtools faidx chr22:{tss-6999}-{tss+7000} | bcftools consensus -H hap -s sample`."""
    region = tmp / "region.fa"
    pysam.faidx(str(FASTA), f"chr22:{tss - 6999}-{tss + 7000}", "-o", str(region))
    out = pysam.bcftools.consensus("-H", str(hap), "-s", sample, "-f", str(region), str(renamed))
    return encode("".join(out.splitlines()[1:]).upper())


def test_haplotype_rows_equal_the_model_on_bcftools_sequences(tmp_path: Path) -> None:
    spec = {"name": "xpresso", "type": "xpresso", "weights": str(WEIGHTS)}
    table = predict_genes(FASTA, GTF, spec, gene_ids=list(GENES), vcf=VCF, samples=SAMPLES)
    assert len(table) == 2 * (1 + 2 * len(SAMPLES))
    assert table["trained"].all() and (table["input_n"] == 0).all()
    model = load_model(spec)
    renamed = rename_chr22(VCF, tmp_path / "renamed.vcf.gz")
    changed = 0
    for gene, (strand, tss) in GENES.items():
        rows = table[table["gene_id"].str.startswith(gene)]
        assert (rows["strand"] == strand).all() and (rows["tss"] == tss).all()
        ref = rows[rows["individual"] == REFERENCE_LABEL]
        assert list(ref["haplotype"]) == [0]
        window = encode(pysam.FastaFile(str(FASTA)).fetch("chr22", tss - 7000, tss + 7000).upper())
        expected = model.predict(window[None], np.array([strand == "-"]))[0, 0, 0]
        assert ref["value"].iloc[0] == pytest.approx(expected, abs=1e-6)
        for sample in SAMPLES:
            for hap in (1, 2):
                codes = _bcftools_codes(renamed, tmp_path, tss, sample, hap)
                assert codes.shape == (14_000,)
                value = model.predict(codes[None], np.array([strand == "-"]))[0, 0, 0]
                mine = rows[(rows["individual"] == sample) & (rows["haplotype"] == hap)]
                assert mine["value"].iloc[0] == pytest.approx(value, abs=1e-6)
                changed += not np.array_equal(codes, window)
    assert changed > 0  # some haplotypes differ from the reference in the model's window


def test_reference_only_and_command_line(tmp_path: Path) -> None:
    """Without --vcf: one reference row per gene, equal to the reference rows with a VCF."""
    out = tmp_path / "pred.tsv"
    args = ["predict", "--fasta", str(FASTA), "--genes", str(GTF), "--gene-ids", *GENES]
    assert main([*args, "--model", "xpresso", "--weights", str(WEIGHTS), "-o", str(out)]) == 0
    table = read_table(out, kind="gene_predictions")
    assert list(table["individual"]) == [REFERENCE_LABEL] * 2
    with_vcf = predict_genes(
        FASTA,
        GTF,
        {"name": "xpresso", "type": "xpresso", "weights": str(WEIGHTS)},
        gene_ids=list(GENES),
        vcf=VCF,
        samples=SAMPLES[:1],
    )
    ref = with_vcf[with_vcf["individual"] == REFERENCE_LABEL].reset_index(drop=True)
    assert np.allclose(table["value"], ref["value"], atol=1e-7)


def test_model_entry_from_config_and_errors(tmp_path: Path) -> None:
    spec, targets = model_entry(config=REPO / "config" / "config.yaml", name="xpresso")
    assert spec["type"] == "xpresso" and targets == "resources/demo/targets_human.txt"
    with pytest.raises(InputError, match="choose one with --model-name"):
        model_entry(config=REPO / "config" / "config.yaml")
    with pytest.raises(InputError, match="no model named 'nope'"):
        model_entry(config=REPO / "config" / "config.yaml", name="nope")
    single = tmp_path / "one.yaml"
    single.write_text("name: x\ntype: xpresso\nweights: w.h5\n")
    assert model_entry(config=single) == ({"name": "x", "type": "xpresso", "weights": "w.h5"}, None)
    with pytest.raises(InputError, match="either --model-config"):
        model_entry()
    assert model_entry(model_type="probe") == ({"name": "probe", "type": "probe"}, None)


def test_untrained_models_are_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["predict", "--fasta", str(FASTA), "--genes", str(GTF), "--gene-ids", "ENSG00000093010"]
    assert main([*args, "--model", "probe"]) == 0
    captured = capsys.readouterr()
    assert "\tFalse\t" in captured.out and "random weights, not a result" in captured.err


def test_samples_without_vcf_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["predict", "--fasta", str(FASTA), "--genes", str(GTF), "--gene-ids", "ENSG00000093010"]
    assert main([*args, "--model", "probe", "--samples", "HG00096"]) == 2
    assert "--samples needs --vcf" in capsys.readouterr().err
