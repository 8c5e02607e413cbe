"""Real-data run of the PrediXcan-style elastic-net baseline on the GEUVADIS chr22 genes.

Usage (from the repo root):
    nice -n 10 .venv/bin/python tests/benchmarks/bench_baseline.py \
        --out results/baseline_chr22 [--covariates N] [--genes K] [--window 500000]

Genotypes: /work/shared/data/genotypes/geuvadis423.chr22.unphased.vcf.gz (dosage = number of ALT
alleles from GT, read with pexbench.dosages.read_dosages, as the workflow's baseline rule does).
Expression: /work/shared/data/expression/genes.50percent.chr22.bed.gz; genes = its rows, TSS =
the BED start (0-based); 330 individuals in common with the VCF.
Writes predicted.tsv.gz, report.tsv, correlations.tsv and summary.json under --out.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from pexbench.baseline import MODEL_NAME, elastic_net_baseline
from pexbench.dosages import read_dosages
from pexbench.expression import prepare_measured
from pexbench.stats import gene_correlations
from pexbench.vcf import vcf_samples

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--covariates", type=int, default=0, help="first N rows of the PC file")
    ap.add_argument("--rint", action="store_true", help="rank-inverse-normal per gene first")
    ap.add_argument("--genes", type=int, default=0, help="first K genes (file order); 0 = all")
    ap.add_argument("--stride", type=int, default=1, help="every S-th gene (file order)")
    ap.add_argument("--window", type=int, default=500_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-3, help="coordinate-descent tolerance")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    vcf = DATA / "genotypes" / "geuvadis423.chr22.unphased.vcf.gz"
    expr = DATA / "expression" / "genes.50percent.chr22.bed.gz"
    measured, _dropped, counts = prepare_measured(
        expr,
        individuals=vcf_samples(vcf),
        covariates=DATA / "expression" / "genes.covariates.pc50.txt.gz"
        if args.covariates
        else None,
        n_covariates=args.covariates or None,
        rint=args.rint,
    )
    bed = pd.read_csv(expr, sep="\t", usecols=[0, 1, 3])
    genes = pd.DataFrame({"gene_id": bed["gene"], "chrom": bed["#chr"], "tss": bed["start"]})
    genes = genes.iloc[:: args.stride]
    if args.genes:
        genes = genes.iloc[: args.genes]
    measured = measured[measured["gene_id"].isin(set(genes["gene_id"]))]
    geno = read_dosages(vcf, genes, args.window, sorted(set(measured["individual"])))
    t1 = time.time()
    predicted, report = elastic_net_baseline(
        measured, genes, geno, window=args.window, seed=args.seed, tol=args.tol
    )
    t2 = time.time()
    corr = gene_correlations(predicted, measured)
    corr = corr[corr["model"] == MODEL_NAME]
    ok = corr[corr["status"] == "ok"]
    with_variants = report[report["status"] == "ok"]
    summary = {
        "genes_requested": len(genes),
        "genes_with_cis_variants_fitted": len(with_variants),
        "genes_status": report["status"].value_counts().to_dict(),
        "correlation_status": corr["status"].value_counts().to_dict(),
        "individuals": counts["individuals"],
        "individuals_dropped_not_in_vcf": counts["individuals_dropped"],
        "covariates_regressed": counts["covariates"],
        "window": args.window,
        "tol": args.tol,
        "rint": args.rint,
        "genes_subset": f"every {args.stride}-th row of the expression file (rows 0, "
        f"{args.stride}, ...), first {args.genes or 'all'} of those",
        "median_pearson_r_ok": float(ok["pearson_r"].median()),
        "median_pearson_r_all_fitted_constant_as_0": float(
            corr.loc[corr["gene_id"].isin(with_variants["gene_id"]), "pearson_r"].fillna(0).median()
        ),
        "fraction_r_gt_0.1_of_fitted": float(
            (corr.loc[corr["gene_id"].isin(with_variants["gene_id"]), "pearson_r"] > 0.1).mean()
        ),
        "n_significant_fdr05_positive": int((corr["sign_class"] == "significant positive").sum()),
        "n_significant_fdr05_negative": int((corr["sign_class"] == "significant negative").sum()),
        "seconds_loading": round(t1 - t0, 1),
        "seconds_elastic_net": round(t2 - t1, 1),
    }
    predicted.to_csv(args.out / "predicted.tsv.gz", sep="\t", index=False)
    report.to_csv(args.out / "report.tsv", sep="\t", index=False)
    corr.to_csv(args.out / "correlations.tsv", sep="\t", index=False)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
