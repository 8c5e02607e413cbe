"""Command line: `pexbench VERB ...` (argparse subcommands; add verbs in `build_parser`).

`pexbench haplotype` writes one personal haplotype as FASTA:

- region mode (default): the same sequence as
  `samtools faidx FASTA REGION | bcftools consensus -H H -s SAMPLE VCF` (1-based inclusive region,
  end clipped to the contig like samtools; contig names harmonised, `22` finds `chr22`), in the
  reference's case (soft-masked lower case kept, as bcftools keeps it); `--haplotype N` takes
  the N-th allele of each GT at any ploidy;
- anchored mode (`--anchor POS --length L`): exactly L bases with the haplotype base aligned to
  reference position POS (1-based) at index L//2 (0-based), N past contig ends.

`pexbench predict` prints a model's predictions for a list of genes as a TSV (table kind
`gene_predictions`): the reference of each gene and, with `--vcf`, each individual's haplotypes,
through the workflow's own path (`pexbench.gene_predictions.predict_genes`).

Errors print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pexbench import __version__, genes
from pexbench.encoding import decode
from pexbench.errors import InputError, PexbenchError
from pexbench.gene_predictions import model_entry, predict_genes
from pexbench.genes import REGION_PATTERN
from pexbench.genome import Reference
from pexbench.haplotypes import (
    AnchoredBuilder,
    haplotypes_for_gene,
    haplotypes_for_region,
)
from pexbench.haplotypes.layout import region_text
from pexbench.models.base import NOT_A_RESULT
from pexbench.models.facts import MODEL_TYPES
from pexbench.tables import table_text
from pexbench.variants import UNPHASED_POLICIES


def parse_region(text: str) -> tuple[str, int | None, int | None]:
    """`CHR:START-END` (1-based inclusive) -> (chrom, start0, end) 0-based half-open, or `CHR`."""
    if not REGION_PATTERN.match(text.strip()):
        raise InputError(
            f"cannot parse region {text!r}; write it as CHR:START-END, e.g. chr22:1000-2000"
        )
    try:
        region = genes.parse_region(text)
    except InputError:
        raise InputError(
            f"region {text!r}: coordinates are 1-based inclusive and START <= END is required"
        ) from None
    if region.end is None:
        return region.chrom, None, None
    return region.chrom, region.start - 1, region.end


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _write_fasta(out: TextIO, header: str, seq: str, width: int) -> None:
    out.write(f">{header}\n")
    for i in range(0, len(seq), width):
        out.write(seq[i : i + width] + "\n")


def _cmd_haplotype(args: argparse.Namespace, out: TextIO) -> None:
    reference = Reference(args.fasta)
    chrom, start, end = parse_region(args.region)
    fchrom = reference.resolve(chrom, source="--region")
    contig_len = reference.contigs[fchrom]
    if args.anchor is None:
        if args.length is not None:
            raise InputError("--length needs --anchor (anchored mode); drop it for region mode")
        if start is None or end is None:
            raise InputError("region mode needs --region CHR:START-END")
        if start >= contig_len:
            raise InputError(
                f"region {args.region} starts past the end of {fchrom} (length {contig_len})"
            )
        end = min(end, contig_len)
        gh = haplotypes_for_region(
            args.vcf,
            reference,
            fchrom,
            start,
            end,
            [args.sample],
            args.unphased,
            args.seed,
            ploidy=max(2, args.haplotype),
        )
        text = region_text(reference, gh, gh.haplotype(args.sample, args.haplotype))
        header = f"{fchrom}:{start + 1}-{end}"
    else:
        if args.length is None or args.length < 1:
            raise InputError("anchored mode needs --length L (a positive number of bases)")
        tss = args.anchor - 1
        if not 0 <= tss < contig_len:
            raise InputError(f"--anchor {args.anchor} lies outside {fchrom} (1-{contig_len})")
        if start is not None and end is not None and not start <= tss < end:
            raise InputError(f"--anchor {args.anchor} lies outside --region {args.region}")
        row = {"gene_id": f"{fchrom}:{args.anchor}", "chrom": fchrom, "tss": tss, "strand": "+"}
        gh = haplotypes_for_gene(
            args.vcf,
            reference,
            row,
            args.length,
            [args.sample],
            args.unphased,
            args.seed,
            ploidy=max(2, args.haplotype),
        )
        builder = AnchoredBuilder(reference, gh, args.length)
        text = decode(builder.build(gh.haplotype(args.sample, args.haplotype)))
        header = (
            f"{fchrom}:{args.anchor} sample={args.sample} haplotype={args.haplotype} "
            f"length={args.length} anchor_index={args.length // 2}"
        )
    _write_fasta(out, header, text, args.line_width)
    if args.verbose:
        counts = ", ".join(f"{k}={v}" for k, v in gh.counts.items())
        print(f"pexbench haplotype: {counts}", file=sys.stderr)


def _cmd_predict(args: argparse.Namespace, out: TextIO) -> None:
    spec, config_targets = model_entry(
        config=args.model_config, name=args.model_name, model_type=args.model, weights=args.weights
    )
    if args.device:
        spec["device"] = args.device
    table = predict_genes(
        args.fasta,
        args.genes,
        spec,
        gene_ids=args.gene_ids,
        vcf=args.vcf,
        samples=args.samples,
        unphased=args.unphased,
        seed=args.seed,
        targets=args.targets or config_targets,
        root=Path.cwd(),
    )
    out.write(table_text(table, kind="gene_predictions"))
    if not table["trained"].all():
        print(f"pexbench predict: {NOT_A_RESULT}", file=sys.stderr)
    unknown = table.loc[table["input_n"] > 0, "gene_id"].unique()
    if len(unknown):
        print(
            f"pexbench predict: {len(unknown)} gene(s) read N bases (column input_n): "
            + ", ".join(unknown[:10]),
            file=sys.stderr,
        )


def _add_unphased(verb: argparse.ArgumentParser) -> None:
    """The --unphased policy and its --seed, shared by the verbs that read genotypes."""
    verb.add_argument(
        "--unphased",
        choices=UNPHASED_POLICIES,
        default="error",
        help="policy for unphased heterozygous genotypes (default: error)",
    )
    verb.add_argument("--seed", type=int, default=0, help="seed of the 'random' policy")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pexbench", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"pexbench {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    hap = verbs.add_parser(
        "haplotype",
        help="write one personal haplotype sequence as FASTA",
        description=(
            "Region mode equals `samtools faidx F REGION | bcftools consensus -H H -s S V`; "
            "with --anchor/--length: exactly L bases, reference position ANCHOR at index L//2."
        ),
    )
    hap.add_argument("--fasta", required=True, help="reference FASTA (plain or bgzip, indexed)")
    hap.add_argument("--vcf", required=True, help="indexed VCF/BCF (normalised against FASTA)")
    hap.add_argument("--sample", required=True, help="sample name in the VCF")
    hap.add_argument(
        "--haplotype",
        type=_positive,
        required=True,
        help="N: the N-th allele of each GT, at any ploidy (as bcftools -H N); haploid calls "
        "keep the reference on haplotype 2",
    )
    hap.add_argument("--region", required=True, help="CHR:START-END, 1-based inclusive")
    hap.add_argument("--anchor", type=int, help="1-based TSS position (anchored mode)")
    hap.add_argument("--length", type=int, help="output length in anchored mode")
    _add_unphased(hap)
    hap.add_argument("--line-width", type=int, default=60, help="FASTA line width (default 60)")
    hap.add_argument("-o", "--output", help="write here instead of standard output")
    hap.add_argument("-v", "--verbose", action="store_true", help="print counts on stderr")
    hap.set_defaults(func=_cmd_haplotype)
    pred = verbs.add_parser(
        "predict",
        help="print a model's predictions for a list of genes as TSV",
        description=(
            "The workflow's path (gene table -> TSS -> haplotypes -> predict) for a list of "
            "genes: one row per gene, track and sequence (the reference; with --vcf also "
            "haplotypes 1 and 2 of each individual). Columns: model, trained, gene_id, symbol, "
            "chrom, tss (0-based), strand, input_n (N bases the model reads), individual, "
            "haplotype, track, value."
        ),
    )
    pred.add_argument("--fasta", required=True, help="reference FASTA (plain or bgzip, indexed)")
    pred.add_argument("--genes", required=True, help="GTF (gene rows) or gene TSV (tss 0-based)")
    pred.add_argument("--gene-ids", nargs="+", help="only these genes (version suffix optional)")
    which = pred.add_mutually_exclusive_group(required=True)
    which.add_argument("--model-config", help="workflow config (models: list) or one model entry")
    which.add_argument("--model", choices=MODEL_TYPES, help="model type (with --weights)")
    pred.add_argument("--model-name", help="the entry of --model-config's models: list to run")
    pred.add_argument("--weights", help="with --model: weights (Xpresso HDF5, Enformer id/dir)")
    pred.add_argument("--targets", help="Enformer's targets_human.txt (default: inputs.targets)")
    pred.add_argument("--device", help="override the entry's device (cpu, cuda, cuda:N, auto)")
    pred.add_argument("--vcf", help="phased VCF: also predict every individual's haplotypes")
    pred.add_argument("--samples", nargs="+", help="with --vcf: only these individuals")
    _add_unphased(pred)
    pred.add_argument("-o", "--output", help="write the TSV here instead of standard output")
    pred.set_defaults(func=_cmd_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "output", None):
            with open(args.output, "w") as out:
                args.func(args, out)
        else:
            args.func(args, sys.stdout)
    except (PexbenchError, OSError) as exc:
        print(f"pexbench {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
