"""Mass by chromatin state and distance class, and the lead-eQTL table
(pexbench.interpret.relate), on hand-computed cases.

Window [0, 12,000) of chr22 with the TSS at 11,500: |distance| < 1 kb for 10,501..11,999
(1,499 bases), 1-10 kb for 1,501..10,500 (9,000), 10-50 kb for 0..1,500 (1,501). States:
R on [0, 6,000), TSS on [11,000, 12,000), the rest unassigned. Mass 1 at 0, 2 at 5,000 and 1 at
11,500 (total 4): distance shares .25 / .5 / .25; state shares R .75, TSS .25, unassigned 0.
"""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from pexbench.chromatin import read_states
from pexbench.errors import InputError
from pexbench.interpret.relate import (
    DISTANCE_CLASSES,
    distance_class,
    mass_by_group,
    negative_gene_leads,
    relate_gene,
    summarise_enrichment,
)
from pexbench.stats import SIGN_NEG, SIGN_POS

L = 12_000
TSS = 11_500


@pytest.fixture
def states(tmp_path) -> pd.DataFrame:
    bed = tmp_path / "states.bed.gz"
    with gzip.open(bed, "wt") as handle:
        handle.write("track name=states\n22\t0\t6000\tR\n22\t11000\t12000\tTSS\n")
    return read_states(bed)


@pytest.fixture
def mass() -> np.ndarray:
    m = np.zeros(L)
    m[[0, 5_000, TSS]] = [1.0, 2.0, 1.0]
    return m


def test_distance_classes():
    d = [0, -999, 999, 1000, -1000, 9999, 10_000, 49_999, -50_000, 10**6]
    want = ["<1 kb"] * 3 + ["1-10 kb"] * 3 + ["10-50 kb"] * 2 + [">50 kb"] * 2
    assert distance_class(d).tolist() == want
    assert set(want) == set(DISTANCE_CLASSES)


def test_mass_by_group_by_hand():
    table = mass_by_group([1, 1, 2, 0, 0, 4], list("AABBCC"))
    assert table["group"].tolist() == ["A", "B", "C"]
    np.testing.assert_allclose(table["base_share"], [1 / 3] * 3)
    np.testing.assert_allclose(table["mass_share"], [0.25, 0.25, 0.5])
    np.testing.assert_allclose(table["enrichment"], [0.75, 0.75, 1.5])
    with pytest.raises(InputError, match="non-negative"):
        mass_by_group([1, -1], ["A", "B"])
    with pytest.raises(InputError, match="positive total"):
        mass_by_group([0, 0], ["A", "B"])


def test_relate_gene_by_hand(states, mass):
    attention = np.full(L, 1 / L)  # uniform: enrichment 1 everywhere
    table = relate_gene(
        "G1",
        {"contribution": mass, "attention": attention},
        chrom="chr22",  # the BED says 22: contigs are harmonised
        sequence_start=0,
        tss=TSS,
        states=states,
    )
    c = table[table["measure"] == "contribution"].set_index(["grouping", "group"])
    dist = c.loc["distance"]
    assert dist["n_bases"].to_dict() == {"1-10 kb": 9_000, "10-50 kb": 1_501, "<1 kb": 1_499}
    np.testing.assert_allclose(
        dist.loc[["<1 kb", "1-10 kb", "10-50 kb"], "mass_share"], [0.25, 0.5, 0.25]
    )
    np.testing.assert_allclose(
        dist.loc[["<1 kb", "1-10 kb", "10-50 kb"], "enrichment"],
        [0.25 / (1_499 / L), 0.5 / (9_000 / L), 0.25 / (1_501 / L)],
    )
    state = c.loc["state"]
    assert state["n_bases"].to_dict() == {"R": 6_000, "TSS": 1_000, "unassigned": 5_000}
    np.testing.assert_allclose(state.loc[["R", "TSS", "unassigned"], "enrichment"], [1.5, 3.0, 0.0])
    a = table[table["measure"] == "attention"]
    np.testing.assert_allclose(a["enrichment"], 1.0)
    assert (table["gene_id"] == "G1").all()
    # without states only the distance grouping
    plain = relate_gene("G1", {"c": mass}, chrom="chr22", sequence_start=0, tss=TSS)
    assert set(plain["grouping"]) == {"distance"}


def test_summarise_enrichment_weights_genes_equally():
    per_gene = pd.DataFrame(
        {
            "gene_id": ["g1", "g1", "g2"],
            "measure": "m",
            "grouping": "distance",
            "group": ["A", "B", "A"],
            "n_bases": [5, 5, 10],
            "base_share": [0.5, 0.5, 1.0],
            "mass_share": [0.8, 0.2, 1.0],
            "enrichment": [1.6, 0.4, 1.0],
        }
    )
    out = summarise_enrichment(per_gene).set_index("group")
    assert out["n_genes"].tolist() == [2, 2]
    np.testing.assert_allclose(out.loc[["A", "B"], "base_share"], [0.75, 0.25])
    np.testing.assert_allclose(out.loc[["A", "B"], "mass_share"], [0.9, 0.1])
    np.testing.assert_allclose(out.loc[["A", "B"], "enrichment"], [1.2, 0.4])


def test_negative_gene_leads_by_hand(states):
    correlations = pd.DataFrame(
        {
            "model": ["M", "M", "M", "N"],
            "gene_id": ["g1", "g2", "g3", "g4"],
            "pearson_r": [-0.6, 0.7, -0.5, -0.9],
            "sign_class": [SIGN_NEG, SIGN_POS, SIGN_NEG, SIGN_NEG],
        }
    )
    leads = pd.DataFrame(
        {
            "gene_id": ["g1", "g2", "g3", "g4"],
            "variant_id": ["v1", "v2", "v3", "v4"],
            "chrom": "chr22",
            "pos": [11_500, 100, 5_000, 7],
            "distance_to_tss": [500, -20, -6_500, 60_000],
            "beta": [0.3, 0.1, -0.2, 1.0],
            "p": 1e-8,
        }
    )
    effects = pd.DataFrame(
        {
            "gene_id": ["g1", "g2"],
            "variant_id": ["v1", "v2"],
            "first_order": [0.1, 1.0],
            "ism": [-0.05, 1.0],
        }
    )
    out = negative_gene_leads(correlations, leads, effects, model="M", states=states)
    assert out["gene_id"].tolist() == ["g1", "g3"]
    g1, g3 = out.iloc[0], out.iloc[1]
    assert (g1["chromatin_state"], g1["distance_class"]) == ("TSS", "<1 kb")
    assert (g3["chromatin_state"], g3["distance_class"]) == ("R", "1-10 kb")
    assert bool(g1["first_order_agrees"]) is True
    assert bool(g1["ism_agrees"]) is False
    assert pd.isna(g3["first_order"]) and pd.isna(g3["first_order_agrees"])
    assert g1["eqtl_beta"] == 0.3 and g1["pearson_r"] == -0.6 and g1["model"] == "M"
    no_states = negative_gene_leads(correlations, leads, effects, model="M")
    assert set(no_states["chromatin_state"]) == {"no state data"}
