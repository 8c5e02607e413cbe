"""Gene tables from GTF and TSV, contig harmonisation, filters with reasons.

Oracles: hand-written GTF rows with known TSS; for real data, the QTLtools expression BED, whose
start column is the 0-based TSS computed independently from GENCODE v19.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pexbench import genes
from pexbench.errors import InputError
from pexbench.expression import compare_tss, expression_genes
from pexbench.tables import write_table

GTF_ROWS = [
    # chrom, feature, start, end, strand, gene_id, name, type
    ("22", "gene", 1001, 2000, "+", "ENSG01.3", "PLUS", "protein_coding"),
    ("22", "transcript", 1001, 2000, "+", "ENSG01.3", "PLUS", "protein_coding"),
    ("22", "exon", 1001, 1100, "+", "ENSG01.3", "PLUS", "protein_coding"),
    ("22", "gene", 5001, 7000, "-", "ENSG02.1", "MINUS", "lincRNA"),
    ("22", "exon", 6901, 7000, "-", "ENSG02.1", "MINUS", "lincRNA"),
    ("X", "gene", 300, 400, "-", "ENSG03.7", "XGENE", "protein_coding"),
]
# hand-computed 0-based TSS: + start-1, - end-1
EXPECTED = pd.DataFrame(
    {
        "gene_id": ["ENSG01.3", "ENSG02.1", "ENSG03.7"],
        "symbol": ["PLUS", "MINUS", "XGENE"],
        "chrom": ["chr22", "chr22", "chrX"],
        "tss": np.array([1000, 6999, 399], dtype=np.int64),
        "strand": ["+", "-", "-"],
    }
)
FASTA = {"chr22": 10_000, "chrX": 5_000}


def write_gtf(path: Path, rows: list[tuple] = GTF_ROWS, gz: bool = True) -> Path:
    lines = ["##description: test\n"]
    for chrom, feature, start, end, strand, gid, name, gtype in rows:
        attrs = f'gene_id "{gid}"; transcript_id "{gid}"; gene_type "{gtype}"; gene_name "{name}";'
        lines.append(f"{chrom}\tTEST\t{feature}\t{start}\t{end}\t.\t{strand}\t.\t{attrs}\n")
    opener = gzip.open if gz else open
    with opener(path, "wt") as fh:
        fh.writelines(lines)
    return path


def test_read_genes_gtf(tmp_path: Path) -> None:
    gtf = write_gtf(tmp_path / "a.gtf.gz")
    got = genes.read_genes(gtf, reference_contigs=FASTA)
    pd.testing.assert_frame_equal(got, EXPECTED)
    # without reference, the GTF's names stay
    assert genes.read_genes(gtf)["chrom"].tolist() == ["22", "22", "X"]
    assert genes.sniff_gene_format(gtf) == "gtf"


def test_read_genes_tsv_matches_gtf(tmp_path: Path) -> None:
    tsv = write_table(EXPECTED.assign(chrom=["22", "22", "X"]), tmp_path / "genes.tsv")
    got = genes.read_genes(tsv, reference_contigs=list(FASTA))
    pd.testing.assert_frame_equal(got, EXPECTED)
    assert genes.sniff_gene_format(tsv) == "tsv"
    # chr22 -> 22 the other way round
    back = genes.read_genes(tsv, fmt="tsv", reference_contigs=["22", "X"])
    assert back["chrom"].tolist() == ["22", "22", "X"]


def test_read_genes_tsv_errors(tmp_path: Path) -> None:
    bad = tmp_path / "g.tsv"
    bad.write_text("gene_id\tchrom\ttss\tstrand\nG1\tchr22\t10\t+\nG2\tchr22\t1.5\t-\n")
    with pytest.raises(InputError, match=r"line 3: tss '1.5' of gene G2"):
        genes.read_genes(bad)
    bad.write_text("gene_id\tchrom\ttss\tstrand\nG1\tchr22\t10\t.\n")
    with pytest.raises(InputError, match=r"line 2: strand '\.'"):
        genes.read_genes(bad)
    bad.write_text("gene_id\tchrom\tstart\tstrand\nG1\tchr22\t10\t+\n")
    with pytest.raises(InputError, match=r"lacks column\(s\) \['tss'\]"):
        genes.read_genes(bad)


def test_missing_contig_is_an_error(tmp_path: Path) -> None:
    gtf = write_gtf(tmp_path / "a.gtf.gz")
    with pytest.raises(InputError) as err:
        genes.read_genes(gtf, reference_contigs=["chr22"])
    message = str(err.value)
    assert "'X'" in message and "ENSG03.7" in message and "genes.regions" in message
    assert str(gtf) in message


def test_tss_beyond_contig_end(tmp_path: Path) -> None:
    gtf = write_gtf(tmp_path / "a.gtf.gz")
    with pytest.raises(InputError, match="different builds"):
        genes.read_genes(gtf, reference_contigs={"chr22": 5000, "chrX": 5000})


def test_duplicate_ids(tmp_path: Path) -> None:
    rows = [*GTF_ROWS, ("Y", "gene", 300, 400, "-", "ENSG03.7", "XGENE", "protein_coding")]
    gtf = write_gtf(tmp_path / "a.gtf", rows, gz=False)
    with pytest.raises(InputError, match=r"ENSG03\.7 \(X/Y\)"):
        genes.read_genes(gtf)
    # restricted away from chrY, the duplicate is no longer there
    kept, dropped = genes.prepare_genes(
        gtf, reference_contigs=FASTA | {"chrY": 1000}, regions=["chrX"]
    )
    assert kept["gene_id"].tolist() == ["ENSG03.7"] and kept["chrom"].tolist() == ["chrX"]
    assert genes.drop_summary(dropped) == {genes.REASON_REGION: 3}


def test_gene_types(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    gtf = write_gtf(tmp_path / "a.gtf.gz")
    got = genes.read_genes(gtf, gene_types=["lincRNA"])
    assert got["gene_id"].tolist() == ["ENSG02.1"]
    # the documented TSV format has no type column: the default filter keeps every gene, says so
    tsv = write_table(EXPECTED, tmp_path / "g.tsv")
    got = genes.read_genes(tsv, gene_types=["protein_coding", "lincRNA"])
    assert got["gene_id"].tolist() == EXPECTED["gene_id"].tolist()
    assert "gives no gene types" in caplog.text and "not applied" in caplog.text


def test_no_gene_rows(tmp_path: Path) -> None:
    gtf = write_gtf(tmp_path / "a.gtf", [r for r in GTF_ROWS if r[1] != "gene"], gz=False)
    with pytest.raises(InputError, match="no rows with feature 'gene'"):
        genes.read_genes(gtf, fmt="gtf")


def test_regions_are_one_based_inclusive() -> None:
    # TSS 0-based 1000 is 1-based 1001
    table = EXPECTED
    kept, dropped = genes.filter_regions(table, ["22:1001-1001"])
    assert kept["gene_id"].tolist() == ["ENSG01.3"]
    assert genes.filter_regions(table, ["chr22:1002-9000"])[0]["gene_id"].tolist() == ["ENSG02.1"]
    assert genes.filter_regions(table, ["chr22:1-1000"])[0].empty
    # chrX has genes but none in the region: no error
    kept, dropped = genes.filter_regions(table, ["chr22:1,001-7,000", "X:1-10"])
    assert kept["gene_id"].tolist() == ["ENSG01.3", "ENSG02.1"]
    assert dropped.to_dict("records") == [
        {
            "gene_id": "ENSG03.7",
            "symbol": "XGENE",
            "chrom": "chrX",
            "tss": 399,
            "reason": genes.REASON_REGION,
        }
    ]
    # a region on a contig without genes is an error naming the entry and the contigs
    with pytest.raises(
        InputError, match=r"genes\.regions\[1\] = 'chr5:1-10': contig 'chr5'.*chr22, chrX"
    ):
        genes.filter_regions(table, ["chr22:1,001-7,000", "chr5:1-10"])
    with pytest.raises(InputError, match="1-based"):
        genes.parse_region("chr22:10-5")
    with pytest.raises(InputError, match="chrom:start-end"):
        genes.parse_region("chr22:10")


def test_match_gene_ids_versions() -> None:
    targets = ["ENSG01.4", "ENSG02", "ENSG05.1", "ENSG05.2"]
    got = genes.match_gene_ids(
        ["ENSG01.3", "ENSG02.1", "ENSG04.1", "ENSG05.3", "ENSG05.1"], targets
    )
    assert got == {"ENSG01.3": "ENSG01.4", "ENSG02.1": "ENSG02", "ENSG05.1": "ENSG05.1"}
    assert genes.strip_version("ENSG00000215270.3") == "ENSG00000215270"
    assert genes.strip_version("GENE.A") == "GENE.A"


def test_prepare_genes_drops_with_reasons(tmp_path: Path) -> None:
    gtf = write_gtf(tmp_path / "a.gtf.gz")
    kept, dropped = genes.prepare_genes(
        gtf,
        reference_contigs={"chr22": 10_000},
        gene_types=["protein_coding", "lincRNA"],
        expression_ids=["ENSG01", "ENSG09.1"],
        unknown_contigs="drop",
    )
    assert kept["gene_id"].tolist() == ["ENSG01.3"]
    assert dict(zip(dropped["gene_id"], dropped["reason"], strict=True)) == {
        "ENSG09.1": genes.REASON_NOT_IN_ANNOTATION,  # expression id without annotation gene
        "ENSG03.7": genes.REASON_CONTIG,
        "ENSG02.1": genes.REASON_EXPRESSION,
    }
    row = dropped[dropped["gene_id"] == "ENSG09.1"].iloc[0]
    assert pd.isna(row["symbol"]) and pd.isna(row["chrom"]) and pd.isna(row["tss"])
    # written and read back: NA cells, the other rows' tss stay integers
    out = write_table(dropped, tmp_path / "dropped.tsv")
    assert "ENSG09.1\tNA\tNA\tNA\tnot in annotation" in out.read_text()
    assert "ENSG03.7\tXGENE\tX\t399\t" in out.read_text()
    with pytest.raises(InputError, match="absent from"):
        genes.prepare_genes(gtf, reference_contigs={"chr22": 10_000})


# ---------------------------------------------------------------------------- real data


def test_gencode_v19_chr22(shared_data: Path) -> None:
    gtf = shared_data / "annotation" / "gencode.v19.annotation.chr22.gtf.gz"
    table = genes.read_genes(gtf, reference_contigs={"chr22": 51_304_566})
    assert len(table) == 1206 and table["gene_id"].is_unique
    assert set(table["chrom"]) == {"chr22"}
    # independent oracle: count gene rows and strands with plain text processing
    with gzip.open(gtf, "rt") as fh:
        rows = [line.split("\t") for line in fh if not line.startswith("#")]
    gene_rows = [r for r in rows if r[2] == "gene"]
    assert len(gene_rows) == 1206
    first = gene_rows[0]
    row = table[table["gene_id"] == "ENSG00000233866.1"].iloc[0]
    assert first[6] == "+" and row["tss"] == int(first[3]) - 1 == 16_062_156


def test_gencode_tss_agrees_with_expression_bed(shared_data: Path) -> None:
    gtf = shared_data / "annotation" / "gencode.v19.annotation.chr22.gtf.gz"
    bed = shared_data / "expression" / "genes.50percent.chr22.bed.gz"
    table = genes.read_genes(gtf)
    compared = compare_tss(table, bed)
    # 608 expressed genes, 10 of them not in GENCODE v19 chr22; all others agree exactly
    assert len(compared) == 598
    assert int(compared["agree"].sum()) == 598
    assert (compared["tss"] == compared["tss_expression"]).all()
    kept, dropped = genes.prepare_genes(
        gtf,
        reference_contigs={"chr22": 51_304_566},
        expression_ids=expression_genes(bed)["gene_id"],
    )
    assert len(kept) == 598
    assert genes.drop_summary(dropped) == {
        genes.REASON_NOT_IN_ANNOTATION: 608 - 598,
        genes.REASON_EXPRESSION: 1206 - 598,
    }
    # the 10 ids are exactly the expression ids compare_tss found no annotation gene for
    unmatched = dropped.loc[dropped["reason"] == genes.REASON_NOT_IN_ANNOTATION, "gene_id"]
    expressed = set(expression_genes(bed)["gene_id"])
    assert set(unmatched) == expressed - set(compared["gene_id"])
    assert kept["tss"].is_monotonic_increasing


def test_gene_list(tmp_path: Path) -> None:
    gtf = write_gtf(tmp_path / "a.gtf.gz")
    got = genes.read_genes(gtf, reference_contigs=FASTA, gene_ids=["ENSG03", "ENSG01.3"])
    assert got["gene_id"].tolist() == ["ENSG01.3", "ENSG03.7"]
    with pytest.raises(InputError, match=r"ENSG99\.1"):
        genes.read_genes(gtf, gene_ids=["ENSG01.3", "ENSG99.1"])
    kept, dropped = genes.prepare_genes(gtf, reference_contigs=FASTA, gene_ids=["ENSG02"])
    assert kept["gene_id"].tolist() == ["ENSG02.1"]
    assert genes.drop_summary(dropped) == {genes.REASON_NOT_LISTED: 2}


def test_gene_regions() -> None:
    table = pd.DataFrame(
        {
            "gene_id": ["a", "b", "c", "d"],
            "symbol": ["a", "b", "c", "d"],
            "chrom": ["chr1", "chr1", "chr1", "chr2"],
            "tss": [5, 100, 30, 1000],  # 0-based; 1-based 6, 101, 31, 1001
            "strand": ["+"] * 4,
        }
    )
    # hand-computed: chr1 6+-10 -> 1..16 and 31+-10 -> 21..41 stay apart (gap 17..20)
    assert genes.gene_regions(table, 10) == [
        "chr1:1-16",
        "chr1:21-41",
        "chr1:91-111",
        "chr2:991-1011",
    ]
    # flank 12: 1..18 and 19..43 touch -> merged
    assert genes.gene_regions(table, 12)[:2] == ["chr1:1-43", "chr1:89-113"]
    # every TSS is inside the regions
    kept, dropped = genes.filter_regions(table, genes.gene_regions(table, 0))
    assert dropped.empty and len(kept) == 4


# ---------------------------------------------------------------------------- the workflow's table

EXPRESSED = ["ENSG01.3", "ENSG02.1", "ENSG03.7"]


def test_gene_table_gene_ids(tmp_path: Path) -> None:
    gtf = write_gtf(tmp_path / "a.gtf.gz")
    kept, dropped = genes.gene_table(
        gtf,
        reference_contigs=FASTA,
        expression_ids=EXPRESSED,
        gene_types=["protein_coding"],
        gene_ids=["ENSG02", "ENSG03.7"],
    )
    assert kept["gene_id"].tolist() == ["ENSG03.7"]
    # a listed gene another filter removes is reported with that filter's reason, no error
    assert dict(zip(dropped["gene_id"], dropped["reason"], strict=True)) == {
        "ENSG02.1": genes.REASON_GENE_TYPE,
        "ENSG01.3": genes.REASON_NOT_LISTED,
    }
    assert list(dropped.columns) == genes.DROPPED_COLUMNS
    # an id naming no gene of the annotation is an error naming the config key
    with pytest.raises(InputError, match=r"genes\.gene_ids.*: ENSG99\.1") as err:
        genes.gene_table(
            gtf, reference_contigs=FASTA, expression_ids=EXPRESSED, gene_ids=["ENSG01", "ENSG99.1"]
        )
    assert str(gtf) in str(err.value)


def test_gene_table_max_genes_and_shards(tmp_path: Path) -> None:
    gtf = write_gtf(tmp_path / "a.gtf.gz")
    common = {"reference_contigs": FASTA, "expression_ids": EXPRESSED, "gene_types": None}
    kept, dropped = genes.gene_table(gtf, **common, max_genes=2, shards=2)
    assert kept.columns.tolist() == [*genes.GENE_COLUMNS, "shard"]
    # genome order (FASTA contig order, then TSS): the first two are on chr22
    assert kept["gene_id"].tolist() == ["ENSG01.3", "ENSG02.1"]
    assert kept["shard"].tolist() == [0, 1]
    assert dropped.to_dict("records") == [
        {
            "gene_id": "ENSG03.7",
            "symbol": "XGENE",
            "chrom": "chrX",
            "tss": 399,
            "reason": genes.REASON_MAX_GENES,
        }
    ]
    # contiguous shards of nearly equal size; more shards than genes leaves the last ones empty
    assert genes.gene_table(gtf, **common, shards=2)[0]["shard"].tolist() == [0, 0, 1]
    assert genes.gene_table(gtf, **common, shards=5)[0]["shard"].tolist() == [0, 1, 2]


def test_gene_table_nothing_left(tmp_path: Path) -> None:
    gtf = write_gtf(tmp_path / "a.gtf.gz")
    with pytest.raises(InputError, match="no genes left") as err:
        genes.gene_table(gtf, reference_contigs=FASTA, expression_ids=["ENSG77.1"])
    message = str(err.value)
    assert str(gtf) in message and genes.REASON_EXPRESSION in message
    assert "genes.gene_types" in message
