"""pexbench.columns: one declaration of every workflow table's columns and dtypes."""

from __future__ import annotations

import pandas as pd
import pytest

from pexbench.columns import TABLES, column_names, empty_table, table_spec


def test_every_kind_builds_a_typed_empty_table() -> None:
    for kind, spec in TABLES.items():
        assert spec.kind == kind and spec.writer.startswith(("rule", "the command"))
        table = empty_table(kind)
        assert list(table.columns) == column_names(kind) == list(spec.columns)
        assert table.empty
        assert {c: str(t) for c, t in table.dtypes.items()} == dict(spec.columns)


def test_shared_layouts() -> None:
    # the variants table is an eqtl table with the matched allele and its status
    assert column_names("variants")[: len(column_names("eqtl"))] == column_names("eqtl")
    assert column_names("predicted") == ["model", "gene_id", "individual", "predicted"]
    assert table_spec("haplotype_stats").extra_columns
    assert not table_spec("gene_correlations").extra_columns
    assert isinstance(empty_table("variant_effects")["concordant"].dtype, pd.BooleanDtype)


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"unknown table kind 'nope'.*gene_correlations"):
        table_spec("nope")
