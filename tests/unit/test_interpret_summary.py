"""pexbench.interpret.summary: per-shard files grouped by model, and the lead eQTL per gene
(the scored variant with the smallest p) that the negative-gene table uses; hand-made tables."""

from __future__ import annotations

import pandas as pd
import pytest

from pexbench.interpret.summary import by_model, lead_variants


def test_by_model_groups_files_in_order() -> None:
    keys = [("a", "000"), ("a", "001"), ("b", "000")]
    assert by_model(keys, ["x", "y", "z"]) == {"a": ["x", "y"], "b": ["z"]}
    with pytest.raises(ValueError, match="3 \\(model, shard\\) keys for 2 files"):
        by_model(keys, ["x", "y"])


def test_leads_take_the_smallest_p_among_scored_variants() -> None:
    variants = pd.DataFrame(
        {
            "gene_id": ["g1", "g1", "g1", "g2"],
            "variant_id": ["v1", "v2", "v3", "v4"],
            "p": [1e-3, 1e-9, 1e-12, 0.5],
            "scored": ["yes", "yes", "ambiguous variant id", "yes"],
            "allele_index": pd.array([0, 1, pd.NA, 4], dtype="Int64"),
        }
    )
    leads = lead_variants(variants)
    assert leads[["gene_id", "variant_id"]].values.tolist() == [["g1", "v2"], ["g2", "v4"]]
    assert leads["allele_index"].tolist() == [1, 4]
