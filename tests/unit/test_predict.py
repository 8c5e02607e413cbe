"""predict_haplotypes / predict_variants on real phased haplotypes.

Data: the phased 1000 Genomes phase 1 VCF of chr22:50.3-51.0 Mb (5 individuals, indels) on
`chr22.synthetic_background.fa.gz`, a SYNTHETIC reference (random background with the real REF
alleles written at their GRCh37 positions): the tests check sequence handling, not biology.

Oracle for the probe tests: `bcftools consensus -H h -s SAMPLE -c CHAIN` (pysam's bundled
bcftools) on a 6-kb region around each TSS; the TSS is located in the consensus through the
chain file, the model window is cut there, and the probe's bin values are recomputed in plain
Python. Genes: two real GENCODE genes and TSSs placed 200-700 bp downstream of carried indels, on
both strands (downstream in the gene's own direction), so indels upstream of the TSS shift it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pysam.bcftools
import pytest
from realdata import FASTA

from pexbench.columns import column_names
from pexbench.errors import InputError, ModelError
from pexbench.genome import Reference
from pexbench.haplotypes import AnchoredBuilder, GeneHaplotypes, haplotypes_for_gene
from pexbench.models import load_model
from pexbench.models.base import ModelInfo
from pexbench.predict import (
    allele_in_model_input,
    model_input_span,
    predict_haplotypes,
    predict_variants,
    reduce_bins,
)
from pexbench.variants import read_variants

COMP = str.maketrans("ACGTN", "TGCAN")
FLANK = 3000  # bcftools region = TSS +- FLANK


@pytest.fixture(scope="module")
def reference(shared_data: Path) -> Reference:
    return Reference(shared_data / FASTA)


@pytest.fixture(scope="module")
def gene_rows(phased_normalised: Path, reference: Reference) -> list[dict]:
    """2 GENCODE genes + 6 TSSs downstream (in gene direction) of carried indels."""
    rows = [
        {"gene_id": "ENSG00000073146.11", "chrom": "chr22", "tss": 50_528_307, "strand": "+"},
        {"gene_id": "ENSG00000100427.11", "chrom": "chr22", "tss": 50_524_330, "strand": "-"},
    ]
    block = read_variants(phased_normalised, "chr22", 50_400_000, 50_990_000, reference=reference)
    carried = (block.genotypes > 0).any(axis=(1, 2))
    ref_len = np.array([len(r) for r in block.ref])
    alt_len = np.array([len(a[0]) for a in block.alts])
    indels = np.flatnonzero(carried & (ref_len != alt_len))
    starts, ends = block.pos, block.pos + ref_len
    rng = np.random.default_rng(7)
    for k, i in enumerate(rng.choice(indels, size=6, replace=False)):
        strand = "+" if k % 2 == 0 else "-"
        for off in range(200, 700, 37):
            tss = int(ends[i]) + off if strand == "+" else int(starts[i]) - off
            if not ((starts <= tss) & (ends > tss)).any():  # TSS base not inside a variant
                break
        rows.append(
            {"gene_id": f"indel{k}{strand}", "chrom": "chr22", "tss": tss, "strand": strand}
        )
    return rows


@pytest.fixture(scope="module")
def genes_2048(phased_normalised, reference, gene_rows) -> list[GeneHaplotypes]:
    return [haplotypes_for_gene(phased_normalised, reference, r, 2048, None) for r in gene_rows]


def chain_map(chain: Path, pos: int) -> int | None:
    """Consensus coordinate of reference coordinate `pos` (None: inside a changed block)."""
    lines = chain.read_text().split("\n")
    head = lines[0].split()
    t, q = int(head[5]), int(head[10])
    for line in lines[1:]:
        if not line.strip():
            continue
        parts = [int(x) for x in line.split()]
        size = parts[0]
        if t <= pos < t + size:
            return q + pos - t
        if len(parts) == 1:
            break
        t, q = t + size + parts[1], q + size + parts[2]
    return None


def oracle_window(fasta, vcf, tss, sample, hap, length, tmp) -> str | None:
    """bcftools consensus around the TSS, cut to `length` with the TSS at length // 2."""
    region = f"chr22:{tss - FLANK + 1}-{tss + FLANK}"
    region_fa, chain = tmp / "r.fa", tmp / "c.chain"
    pysam.faidx(str(fasta), region, "-o", str(region_fa))
    if sample is None:
        seq = "".join(region_fa.read_text().splitlines()[1:]).upper()
        q = FLANK
    else:
        out = pysam.bcftools.consensus(
            "-H", str(hap), "-s", sample, "-c", str(chain), "-f", str(region_fa), str(vcf)
        )
        seq = "".join(out.splitlines()[1:]).upper()
        mapped = chain_map(chain, tss)
        if mapped is None:
            return None
        q = mapped - (tss - FLANK)
    lo = q - length // 2
    assert lo >= 0 and lo + length <= len(seq), "FLANK too small for this haplotype"
    return seq[lo : lo + length]


def probe_expected(window: str, minus: bool, starts: list[int], size: int) -> list[list[int]]:
    """[[gc per bin], [checksum per bin]] by hand, bases read on the gene's strand."""
    gc, cs = [], []
    for s in starts:
        chunk = window[s : s + size]
        if minus:
            chunk = chunk.translate(COMP)[::-1]
        gc.append(sum(b in "GC" for b in chunk))
        cs.append(sum((k + 1) * ("ACGTN".index(b) + 1) for k, b in enumerate(chunk)))
    return [gc, cs]


class Counting:
    """Wraps a model; records every sequence it is sent."""

    def __init__(self, model):
        self.model = model
        self.info: ModelInfo = model.info
        self.preferred_batch_size = 3
        self.sent: list[tuple[bytes, bool]] = []

    def predict(self, codes, minus_strand):
        self.sent += [(c.tobytes(), bool(m)) for c, m in zip(codes, minus_strand, strict=True)]
        return self.model.predict(codes, minus_strand)


def probe(**kw):
    return load_model({"name": "probe", "type": "probe", "sequence_length": 2048, **kw})


def test_probe_tss_bins_equal_bcftools_haplotypes(
    shared_data, phased_normalised, reference, gene_rows, genes_2048, tmp_path
):
    model = Counting(probe())
    df = predict_haplotypes(genes_2048, reference, model, bin_reduce="sum")
    assert list(df.columns) == ["gene_id", "haplotype", "track", "value"]
    starts = [512 + 128 * b for b in (3, 4, 5)]  # crop 4x128, TSS bin (1024-512)/128 = 4
    fasta = shared_data / FASTA
    checked = shifted = skipped = 0
    distinct: set[tuple[str, bool]] = set()
    for row, gene in zip(gene_rows, genes_2048, strict=True):
        minus = row["strand"] == "-"
        sub = df[df.gene_id == row["gene_id"]].set_index(["haplotype", "track"])["value"]
        ref = oracle_window(fasta, phased_normalised, row["tss"], None, 0, 2048, tmp_path)
        distinct.add((ref, minus))
        gc, cs = probe_expected(ref, minus, starts, 128)
        assert sub[(-1, "gc")] == sum(gc) and sub[(-1, "checksum")] == sum(cs)
        for i, sample in enumerate(gene.individuals):
            for hap in (1, 2):
                win = oracle_window(
                    fasta, phased_normalised, row["tss"], sample, hap, 2048, tmp_path
                )
                if win is None:  # TSS base changed by a variant: no unambiguous anchor
                    skipped += 1
                    continue
                distinct.add((win, minus))
                h = int(gene.assignment[i, hap - 1])
                gc, cs = probe_expected(win, minus, starts, 128)
                assert sub[(h, "gc")] == sum(gc), (row, sample, hap)
                assert sub[(h, "checksum")] == sum(cs), (row, sample, hap)
                checked += 1
                applied = gene.unique[h]
                up = [
                    a
                    for a in applied
                    if len(gene.allele_ref[a]) != len(gene.allele_alt[a])
                    and (gene.allele_pos[a] < row["tss"]) != minus
                    and abs(gene.allele_pos[a] - row["tss"]) < 1024
                ]
                shifted += bool(up)
    assert skipped == 0
    assert checked == len(gene_rows) * 5 * 2
    assert shifted >= 6  # haplotypes with an indel upstream of the TSS inside the window
    # dedup: exactly the distinct (sequence, strand) pairs among references + haplotypes
    assert len(model.sent) == len(set(model.sent)) == len(distinct)
    stats = df.attrs["stats"]
    assert stats["sequences_sent"] == len(distinct)
    n_hap = sum(len(g.unique) for g in genes_2048)
    assert stats["requests"] == stats["sequences_built"] == len(genes_2048) + n_hap
    assert len(distinct) < len(genes_2048) + n_hap  # the margin variants collapse at 2048 bp


def test_mean_reduction_and_variant_free_haplotype(reference, genes_2048):
    gene = genes_2048[0]
    extra = GeneHaplotypes(
        **{
            **gene.__dict__,
            "gene_id": "with_empty",
            "unique": [np.zeros(0, np.int32), *gene.unique],
        }
    )
    model = Counting(probe(tss_bins=3))
    df = predict_haplotypes([gene, extra], reference, model, bin_reduce="mean")
    v = df.set_index(["gene_id", "haplotype", "track"])["value"]
    for track in ("gc", "checksum"):
        assert v[("with_empty", 0, track)] == v[("with_empty", -1, track)]
        assert v[("with_empty", -1, track)] == v[(gene.gene_id, -1, track)]
        for h in range(len(gene.unique)):
            assert v[("with_empty", h + 1, track)] == v[(gene.gene_id, h, track)]
    # the second gene (same sequences, same strand) adds nothing to what the model saw
    assert len(model.sent) == len(set(model.sent))
    alone = Counting(probe())
    predict_haplotypes([gene], reference, alone)
    assert len(model.sent) == len(alone.sent)
    # mean = sum / 3 bins
    s = predict_haplotypes([gene], reference, probe(), bin_reduce="sum")
    m = predict_haplotypes([gene], reference, probe(), bin_reduce="mean")
    np.testing.assert_allclose(m["value"] * 3, s["value"])


def test_predict_variants_single_allele(reference, genes_2048, shared_data, tmp_path):
    gene = genes_2048[0]
    tss = gene.tss
    near = [
        a
        for a in range(len(gene.allele_pos))
        if abs(int(gene.allele_pos[a]) - tss) < 600
        and len(gene.allele_ref[a]) == 1
        and len(gene.allele_alt[a]) == 1
    ]
    far = [a for a in range(len(gene.allele_pos)) if abs(int(gene.allele_pos[a]) - tss) > 1100]
    assert near and far
    wanted = pd.DataFrame({"gene_id": gene.gene_id, "allele_index": [near[0], far[0]]})
    model = Counting(probe())
    df = predict_variants(genes_2048, reference, model, wanted, bin_reduce="sum")
    assert list(df.columns) == column_names("variant_predictions")
    assert len(df) == 4 and df["variant_id"].iloc[0] == gene.allele_id[near[0]]
    far_end = int(gene.allele_pos[far[0]]) + len(gene.allele_ref[far[0]])
    far_inside = int(gene.allele_pos[far[0]]) < tss + 1024 and far_end > tss - 1024
    assert not far_inside  # this allele's REF span lies outside [tss - 1024, tss + 1024)
    assert df.loc[df.allele_index == near[0], "in_model_input"].all()
    assert not df.loc[df.allele_index == far[0], "in_model_input"].any()
    assert df.attrs["stats"]["alleles_outside_model_input"] == 1
    ref = oracle_window(shared_data / FASTA, None, tss, None, 0, 2048, tmp_path)
    # SNV by hand: replace one base of the reference window
    k = int(gene.allele_pos[near[0]]) - (tss - 1024)
    assert ref[k] == gene.allele_ref[near[0]]
    alt = ref[:k] + gene.allele_alt[near[0]] + ref[k + 1 :]
    starts = [512 + 128 * b for b in (3, 4, 5)]
    for track, j in (("gc", 0), ("checksum", 1)):
        row = df[(df.allele_index == near[0]) & (df.track == track)].iloc[0]
        assert row.ref_value == sum(probe_expected(ref, False, starts, 128)[j])
        assert row.alt_value == sum(probe_expected(alt, False, starts, 128)[j])
        far_row = df[(df.allele_index == far[0]) & (df.track == track)].iloc[0]
        # outside the 2,048-bp window: no prediction (NaN), not a zero effect
        assert np.isnan(far_row.alt_value) and np.isnan(far_row.ref_value)
    # sent: the reference once, the near SNV; the far allele is not built nor sent
    assert len(model.sent) == 2
    assert df.attrs["stats"]["sequences_built"] == 2
    # only alleles outside: nothing is sent, not even the gene's reference
    alone = Counting(probe())
    only_far = predict_variants(genes_2048, reference, alone, wanted.iloc[1:], bin_reduce="sum")
    assert len(alone.sent) == 0 and len(only_far) == 2
    assert only_far["alt_value"].isna().all() and not only_far["in_model_input"].any()
    with pytest.raises(InputError, match="allele_index 99999"):
        predict_variants(
            genes_2048,
            reference,
            probe(),
            pd.DataFrame({"gene_id": [gene.gene_id], "allele_index": [99999]}),
        )


def test_model_input_span_and_allele_overlap():
    """Windows from the model documentation (xpresso.py docstring; binned models: the input)."""
    from types import SimpleNamespace

    def fake(kind, length, **kw):
        info = ModelInfo(kind, kind, "none", length, ("t",), True)
        return SimpleNamespace(info=info, **kw)

    # binned model of L = 2048 / odd L: [tss - L // 2, tss + L - L // 2)
    assert model_input_span(fake("probe", 2048), "+") == (-1024, 1024)
    assert model_input_span(fake("enformer", 2049), "-") == (-1024, 1025)
    # Xpresso states its span (as XpressoModel.input_span does), TSS at index 6,999 of 10,500
    # gene-strand bases (Huang et al.):
    # + strand genome [tss - 6,999, tss + 3,501); - strand [tss - 3,500, tss + 7,000)
    from pexbench.models.facts import xpresso_input_span

    def xpresso(length, tss_index):
        span = lambda strand: xpresso_input_span(length, tss_index, strand)  # noqa: E731
        return fake("xpresso", length, input_span=span)

    x = xpresso(14_000, 6_999)
    assert model_input_span(x, "+") == (-6_999, 3_501)
    assert model_input_span(x, "-") == (-3_500, 7_000)
    assert model_input_span(xpresso(16_000, 7_000), "-") == (-3_499, 7_001)
    # a model that states its own span wins
    own = fake("probe", 2048, input_span=lambda strand: (-5, 5) if strand == "+" else (-7, 3))
    assert model_input_span(own, "-") == (-7, 3)
    # REF span overlap at both edges; a deletion reaching into the window counts as inside
    gene = SimpleNamespace(
        tss=1000,
        allele_pos=np.array([989, 990, 1009, 1010, 985]),
        allele_ref=["A", "C", "G", "T", "ACGTAC"],
    )
    span = (-10, 10)  # genome [990, 1010)
    got = [allele_in_model_input(gene, a, span) for a in range(5)]
    assert got == [False, True, True, False, True]


def test_tiny_enformer_on_real_haplotypes(
    phased_normalised, reference, gene_rows, shared_data, caplog
):
    targets = shared_data / "enformer" / "targets_human.txt"
    model = load_model(
        {"name": "tiny", "type": "enformer", "weights": "tiny", "tracks": ["CNhs12333", 12]},
        targets=targets,
    )
    genes = [
        haplotypes_for_gene(phased_normalised, reference, r, 4096, None) for r in gene_rows[:3]
    ]
    with caplog.at_level(logging.INFO, logger="pexbench.predict"):
        df = predict_haplotypes(genes, reference, model, bin_reduce="mean", progress_interval=0.0)
    assert "sequences/s" in caplog.text
    assert len(df) == sum(1 + len(g.unique) for g in genes) * 2
    assert set(df.track) == {
        "5110:CAGE:B lymphoblastoid cell line: GM12878 ENCODE, biol_",
        "12:DNASE:GM12878",
    }
    # every row equals a direct forward of the builder's sequence (slot mapping is right)
    for gene in genes:
        b = AnchoredBuilder(reference, gene, 4096)
        seqs = np.stack([b.reference(), *[b.build(u) for u in gene.unique]])
        direct = reduce_bins(model.predict(seqs, np.zeros(len(seqs), bool)), "mean")
        got = (
            df[df.gene_id == gene.gene_id].pivot(index="haplotype", columns="track", values="value")
        )[list(model.info.track_names)]
        np.testing.assert_allclose(got.to_numpy(), direct, rtol=1e-6)
        # personal sequence changes move this (random, sequence-sensitive) model
        assert np.ptp(direct[:, 0]) > 0
    stats = df.attrs["stats"]
    assert stats["sequences_sent"] <= stats["sequences_built"]


def test_errors(reference, genes_2048, tmp_path):
    with pytest.raises(ModelError, match="bin_reduce: 'median'"):
        predict_haplotypes(genes_2048[:1], reference, probe(), bin_reduce="median")
    gene = genes_2048[0]
    narrow = GeneHaplotypes(
        **{**gene.__dict__, "window_start": gene.tss - 100, "window_end": gene.tss + 100}
    )
    with pytest.raises(InputError, match="narrower than model 'probe' needs"):
        predict_haplotypes([narrow], reference, probe())
    empty = predict_haplotypes([], reference, probe())
    assert empty.empty and list(empty.columns) == ["gene_id", "haplotype", "track", "value"]


def test_errors_in_builder_thread_and_model_propagate(reference, genes_2048):
    import threading

    gene = genes_2048[0]
    bad = GeneHaplotypes(**{**gene.__dict__, "gene_id": "bad", "chrom": "chrUn_nowhere"})
    before = threading.active_count()
    with pytest.raises(Exception, match="chrUn_nowhere"):  # raised in the builder thread
        predict_haplotypes([gene, bad], reference, probe())

    class Failing(Counting):
        def predict(self, codes, minus_strand):
            raise ModelError("device fell over")

    with pytest.raises(ModelError, match="device fell over"):
        predict_haplotypes(genes_2048, reference, Failing(probe()), batch_size=1)
    assert threading.active_count() == before  # the builder thread was stopped and joined
