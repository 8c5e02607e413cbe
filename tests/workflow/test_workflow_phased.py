"""The predict rule end to end on the real phased VCF: tiny Enformer, 5 individuals, an indel.

The demo's 1000 Genomes phase 1 VCF (phased, 423 GEUVADIS individuals, contig `22`) runs
through the workflow under `unphased: error` with the demo's real hg19 reference, for 5
individuals and the 4 genes of chr22:21,300,001-21,340,000, up to the predict rule's output. One
of them, HG00097, carries the 4-bp deletion rs68141270 (22:21333748 GCTAT>G) that removes LZTR1's
TSS base. Checked against the haplotype shard the workflow wrote: one reference row and one row
per unique haplotype for every gene, finite values, an indel among the haplotypes, and a
haplotype without variants predicted exactly as the reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from test_workflow import make_workdir, snakemake

from pexbench.haplotypes import load_shard

pytestmark = pytest.mark.slow

INDIVIDUALS = ["HG00096", "HG00097", "HG00099", "HG00100", "HG00101"]
MODEL = "enformer_tiny_random"


def test_predict_rule_on_real_phased_vcf(tmp_path) -> None:
    root = make_workdir(tmp_path, "phased")
    config = yaml.safe_load((root / "config/config.yaml").read_text())
    config["individuals"]["include"] = INDIVIDUALS
    config["haplotypes"]["unphased"] = "error"
    config["genes"].update({"regions": ["chr22:21300001-21340000"], "max_genes": 4, "shards": 1})
    config["models"] = [m for m in config["models"] if m["name"] == MODEL]
    (root / "config/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    snakemake(root, f"results/predictions/{MODEL}/000.tsv.gz")

    genes = load_shard(root / "results/haplotypes/000.npz")
    predictions = pd.read_csv(root / f"results/predictions/{MODEL}/000.tsv.gz", sep="\t")
    assert len(genes) == 4
    assert np.isfinite(predictions["value"]).all()
    indels = 0
    for gene in genes:
        assert gene.individuals == INDIVIDUALS
        rows = predictions[predictions["gene_id"] == gene.gene_id]
        assert set(rows["haplotype"]) == {-1, *range(len(gene.unique))}
        reference = rows.loc[rows["haplotype"] == -1, "value"].to_numpy()
        for index, applied in enumerate(gene.unique):
            lengths = {len(gene.allele_ref[a]) != len(gene.allele_alt[a]) for a in applied}
            indels += True in lengths
            if len(applied) == 0:
                value = rows.loc[rows["haplotype"] == index, "value"].to_numpy()
                np.testing.assert_array_equal(value, reference)
    assert indels > 0, "no haplotype with an indel: the test would not cover indels"
