"""The aggregate, variant_effects and chromatin_states jobs on files, against the library calls
on the same tables; models and shards come from the rule, never from the paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from evalcase import assignment, correlations, hap_values, selected, variant_preds

from pexbench.chromatin import read_states
from pexbench.eqtl import select_variants
from pexbench.evaluate import (
    aggregate,
    lead_states,
    sign_classes_by_state,
    variant_effects,
)
from pexbench.evaluation_jobs import (
    lead_state_sign_classes,
    predicted_expression,
    variant_effect_table,
)
from pexbench.haplotypes import GeneHaplotypes, save_shard
from pexbench.tables import read_table, write_table


def _shard(path: Path, genes: list[GeneHaplotypes]) -> Path:
    save_shard(path, genes)
    return path


def _gene_g() -> GeneHaplotypes:
    a = assignment()
    return GeneHaplotypes(
        gene_id="g",
        symbol="G",
        chrom="22",
        tss=10,
        strand="+",
        window_start=0,
        window_end=20,
        allele_pos=np.array([5], dtype=np.int64),
        allele_ref=["A"],
        allele_alt=["C"],
        allele_id=["v"],
        unique=[np.zeros(0, dtype=np.int32), np.array([0], dtype=np.int32)],
        individuals=a["individual"].tolist(),
        assignment=a[["hap1", "hap2"]].to_numpy(np.int32),
    )


def test_predicted_expression(tmp_path: Path) -> None:
    # odd directory names: nothing is parsed out of a path
    shards = [_shard(tmp_path / "h" / "x.npz", [_gene_g()]), _shard(tmp_path / "h" / "y.npz", [])]
    empty = pd.DataFrame(columns=["gene_id", "haplotype", "track", "value"])
    preds = [
        write_table(hap_values(), tmp_path / "p1.tsv.gz", kind="predictions"),
        write_table(empty, tmp_path / "p2.tsv.gz", kind="predictions"),
        write_table(hap_values(), tmp_path / "p3.tsv.gz", kind="predictions"),
    ]
    keys = [("count", "000"), ("count", "001"), ("logscale", "000")]
    base = pd.DataFrame(
        {"model": "base", "gene_id": "g", "individual": ["C", "A", "B"], "predicted": 0.5}
    )
    baseline = [write_table(base, tmp_path / "b.tsv.gz", kind="predicted")]
    table = predicted_expression(
        preds,
        keys,
        shards,
        ["000", "001"],
        baseline,
        combine="sum",
        log1p=True,
        log1p_models={"count": True, "logscale": False},
    )
    # values as the tables were written (8 significant digits)
    hv = read_table(preds[0], kind="predictions")
    expected = pd.concat(
        [
            aggregate(hv, assignment(), model="count", combine="sum", log1p=True),
            aggregate(hv, assignment(), model="logscale", combine="sum", log1p=False),
            base,
        ],
        ignore_index=True,
    ).sort_values(["model", "gene_id", "individual"], kind="stable")
    pd.testing.assert_frame_equal(table, expected, check_dtype=False, check_exact=True)
    assert table["model"].tolist() == ["base"] * 3 + ["count"] * 3 + ["logscale"] * 3
    with pytest.raises(ValueError, match="zip"):
        predicted_expression(
            preds,
            keys[:2],
            shards,
            ["000", "001"],
            combine="sum",
            log1p=False,
            log1p_models={"count": True, "logscale": False},
        )


def _variants_table() -> pd.DataFrame:
    chosen = selected().assign(
        n_individuals=3, n_imputed=0, se=0.1, t=1.0, status="ok", allele_index=[0, 1, 2, 3]
    )
    return chosen.assign(ref="A", alt="C", scored=["yes", "yes", "yes", "ambiguous variant id"])


def test_variant_effect_table(tmp_path: Path) -> None:
    bed = tmp_path / "s.bed"
    bed.write_text("chr22\t0\t100\tTSS\nchr22\t100\t200\tE\n")
    variants = _variants_table()
    vfiles = [
        write_table(variants.iloc[:2], tmp_path / "v0.tsv", kind="variants"),
        write_table(variants.iloc[2:], tmp_path / "v1.tsv", kind="variants"),
    ]
    vp = variant_preds().assign(in_model_input=True)
    files = [
        write_table(vp, tmp_path / "a.tsv.gz", kind="variant_predictions"),
        write_table(vp[vp["gene_id"] == "g"], tmp_path / "b.tsv.gz", kind="variant_predictions"),
    ]
    keys = [("m1", "000"), ("m0", "001")]
    table = variant_effect_table(
        files,
        keys,
        vfiles,
        states=bed,
        state_mapping=None,
        log1p=True,
        log1p_models={"m1": True, "m0": False},
    )
    scored = read_table(vfiles[0], kind="variants")
    scored = pd.concat([scored, read_table(vfiles[1], kind="variants")], ignore_index=True)
    scored = scored[scored["scored"] == "yes"]
    states = read_states(bed)
    m1 = variant_effects(
        read_table(files[0], kind="variant_predictions"),
        scored,
        model="m1",
        states=states,
        log1p=True,
    )
    g = read_table(files[1], kind="variant_predictions")
    m0 = variant_effects(g, scored[scored["gene_id"] == "g"], model="m0", states=states)
    expected = pd.concat([m0, m1], ignore_index=True)
    pd.testing.assert_frame_equal(
        table.reset_index(drop=True), expected, check_dtype=False, check_exact=True
    )
    assert table["variant_id"].tolist() == ["v1", "v2", "v1", "v2", "v3"]
    none = variant_effect_table(
        [], [], vfiles, states=None, state_mapping=None, log1p=False, log1p_models={}
    )
    assert none.empty and list(none.columns) == list(table.columns)


def test_lead_state_sign_classes(tmp_path: Path) -> None:
    bed = tmp_path / "s.bed"
    bed.write_text("chr22\t0\t100\t1_TssA\nchr22\t100\t200\t7_Enh\n")
    eqtl = _variants_table().drop(columns=["allele_index", "ref", "alt", "scored"])
    files = [
        write_table(eqtl.iloc[:3], tmp_path / "e0.tsv.gz", kind="eqtl"),
        write_table(eqtl.iloc[:0], tmp_path / "e1.tsv.gz", kind="eqtl"),
        write_table(eqtl.iloc[3:], tmp_path / "e2.tsv.gz", kind="eqtl"),
    ]
    corr = correlations().assign(
        n_individuals=3, pearson_p=0.1, spearman_p=0.1, pearson_fdr=0.1, spearman_fdr=0.1
    )
    corr_file = write_table(corr, tmp_path / "c.tsv", kind="gene_correlations")
    table = lead_state_sign_classes(
        files, corr_file, p_threshold=1e-3, states=bed, state_mapping="roadmap15"
    )
    lead = select_variants(eqtl, mode="lead", p_threshold=1e-3)
    states = read_states(bed, state_map={"1_TssA": "TSS", "7_Enh": "E"})
    expected = sign_classes_by_state(corr, lead_states(lead, states))
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    got = {(r.chromatin_state, r.sign_class): r.n_genes for r in table.itertuples()}
    assert got[("TSS", "significant positive")] == 1
    assert got[("no eQTL", "significant negative")] == 1  # h's lead has p = 1e-3, not < 1e-3
