"""Predict jobs (pexbench.predict_job): the workflow's model loading and shard-level runs, checked
against `pexbench.predict` called directly on the same shard and model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from vcfcase import write_case

from pexbench.columns import empty_table
from pexbench.errors import ModelError
from pexbench.genome import Reference
from pexbench.haplotypes import haplotypes_for_gene, load_shard, save_shard
from pexbench.models import load_model
from pexbench.predict import predict_haplotypes, predict_variants
from pexbench.predict_job import job_model, model_for_job, predict_shard, predict_shard_variants

SEQ = "ACGTTGCAAGCTAGCTTACGGATCCATGCAAGTCGATCGGCTAAGCTTGCAT" * 4
# a `models:` entry as the schema leaves it: unset keys are null
SPEC = {
    "name": "probe",
    "type": "probe",
    "weights": None,
    "sequence_length": 64,
    "bin_size": 8,
    "crop_bins": 1,
    "tss_bins": 1,
    "tracks": None,
    "bin_reduce": "mean",
}


@pytest.fixture()
def shard(tmp_path: Path) -> tuple[Path, Path]:
    """(shard, FASTA) of two genes with SNVs and indels near their TSS."""
    records = [
        (40, "G", "GTT", ["1|0", "0|1"]),
        (50, "CA", "C", ["1|1", "0|0"]),
        (120, "T", "A", ["0|1", "1|1"]),
    ]
    fasta, vcf = write_case(tmp_path, records, samples=("A", "B"), ref_seq=SEQ)
    reference = Reference(fasta)
    rows = [
        {"gene_id": "G1", "chrom": "chr1", "tss": 60, "strand": "+"},
        {"gene_id": "G2", "chrom": "chr1", "tss": 110, "strand": "-"},
    ]
    genes = [haplotypes_for_gene(vcf, reference, row, 64, None) for row in rows]
    path = tmp_path / "shard.npz"
    save_shard(path, genes)
    return path, fasta


def test_model_for_job_drops_nulls_and_checks_length() -> None:
    model = model_for_job(SPEC, None, 64, 0)
    assert model.info.sequence_length == 64 and list(model.info.track_names) == ["gc", "checksum"]
    with pytest.raises(ModelError, match=r"'probe': input length 64 exceeds the 32-bp haplotype"):
        model_for_job(SPEC, None, 32, 0)


def test_job_model_weights_replace_the_spec_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules pass a model's local weights as an input: that path is the one loaded."""
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    spec = {"name": "x", "type": "xpresso", "weights": "missing.h5", "device": "cpu"}
    job = {"targets": None, "haplotype_length": 14_000, "index": 0, "threads": 1}
    h5 = "resources/demo/xpresso_GM12878.h5"
    with job_model(spec, weights=h5, **job) as model:
        assert model.info.weights == str(Path(h5).resolve())
    with pytest.raises(ModelError, match=r"missing\.h5: the file does not exist"):
        with job_model(spec, **job):
            pass


def test_predict_shard_equals_predict_haplotypes(shard: tuple[Path, Path]) -> None:
    path, fasta = shard
    # no targets key: the rule passes none for models without a track table (Xpresso)
    table, record = predict_shard(path, fasta, SPEC, haplotype_length=64, index=0, threads=1)
    model = load_model({k: v for k, v in SPEC.items() if v is not None})
    expected = predict_haplotypes(load_shard(path), Reference(fasta), model)
    pd.testing.assert_frame_equal(table, expected)
    assert set(table["gene_id"]) == {"G1", "G2"} and (table["haplotype"] == -1).any()
    # the run record: the model as loaded (its resolved extra settings), not the config
    assert record["model"] == "probe" and record["threads"] == 1
    assert record["sequence_length"] == 64 and record["tracks"] == list(model.info.track_names)
    assert record["bin_size"] == "8" and record["trained"] is False


def test_predict_shard_variants_scores_selected_rows_only(
    shard: tuple[Path, Path], tmp_path: Path
) -> None:
    path, fasta = shard
    variants = pd.DataFrame(
        {
            "gene_id": ["G1", "G1", "G2", "G2"],
            "variant_id": ["a", "b", "c", "d"],
            "allele_index": [0, 1, pd.NA, 0],
            "scored": ["yes", "yes", "ambiguous variant id", "yes"],
        }
    )
    tsv = tmp_path / "variants.tsv"
    # the other declared columns of a select_variants table, with placeholder values
    full = empty_table("variants").astype(object).reindex(range(len(variants)))
    full[list(variants.columns)] = variants
    full = full.fillna({"chrom": "chr1", "pos": 0, "distance_to_tss": 0, "status": "ok"})
    full.fillna({c: 0 for c in ("n_individuals", "n_imputed")}).to_csv(tsv, sep="\t", index=False)
    table = predict_shard_variants(
        path, fasta, tsv, SPEC, targets=None, haplotype_length=64, index=0, threads=1
    )
    model = load_model({k: v for k, v in SPEC.items() if v is not None})
    chosen = variants[variants["scored"] == "yes"].astype({"allele_index": "int64"})
    expected = predict_variants(
        load_shard(path), Reference(fasta), model, chosen[["gene_id", "allele_index"]]
    )
    pd.testing.assert_frame_equal(table, expected)
    assert table["allele_index"].tolist() == [0, 0, 1, 1, 0, 0]  # two tracks per variant
