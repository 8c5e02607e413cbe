# Stage 6: figures, run description and tables of the Snakemake HTML report
# (`snakemake --report report.html` after a run). Captions live in workflow/report/*.rst; their
# paths are relative to this file. REPORT_TARGETS is what `rule all` asks for.

import os

from pexbench.palette import model_colours, model_order, untrained_models


report: "../report/workflow.rst"


# Light jobs (plots, small tables): on a cluster they run on the submitting host, not as jobs.
localrules:
    report_headline,
    report_correlation_figures,
    report_context_figures,
    report_across_genes,
    report_extreme_genes,
    report_concordance,
    report_dedup,
    report_runtimes,
    report_description,
    report_tables,


REPORT_DIR = "results/report"
REPORT_FORMAT = "svg"  # bit-stable with pexbench.plots (fixed hash salt, no dates)
REPORT_CATEGORIES = {
    "headline": "0. Results at a glance",
    "genes": "1. Gene-level correlation",
    "variants": "2. Variant-level direction",
    "haplotypes": "3. Haplotypes",
    "tables": "4. Tables",
    "run": "5. Run description and runtime",
}


# Every figure gets these: one colour per model (the baseline grey) and the untrained models,
# flagged wherever their numbers appear (pexbench.palette); every figure and table also gets
# INPUT_FLAGS (common.smk), the run's non-real inputs.
REPORT_MODELS = model_order(config["models"], config["baseline"]["enabled"])
REPORT_COLOURS = model_colours(REPORT_MODELS)
REPORT_UNTRAINED = untrained_models(config["models"])


# Benchmark TSVs of the heavy rules that this configuration runs.
REPORT_BENCHMARKS = [
    *shard_files(rules.haplotypes.benchmark),
    *model_shard_files(rules.predict.benchmark),
    *model_shard_files(rules.predict_variants.benchmark),
    *baseline_shard_files(rules.baseline.benchmark),
    *shard_files(rules.eqtl.benchmark),
]


rule report_headline:
    input:
        summary=rules.summary.output[0],
        correlations=rules.correlations.output[0],
    output:
        table=report(
            f"{REPORT_DIR}/headline_table.html",
            caption="../report/headline.rst",
            category=REPORT_CATEGORIES["headline"],
            labels={"item": "headline table (also on the landing page)"},
        ),
        figure=report(
            f"{REPORT_DIR}/headline.{REPORT_FORMAT}",
            caption="../report/headline.rst",
            category=REPORT_CATEGORIES["headline"],
            labels={"item": "headline figure (also on the landing page)"},
        ),
    log:
        "logs/report/headline.log",
    conda:
        "../../envs/pexbench.yaml"
    params:
        models=config["models"],
        fdr=config["evaluation"]["fdr"],
        correlation=config["evaluation"]["correlation"],
        min_group_size=config["report"]["min_group_size"],
        colours=REPORT_COLOURS,
        untrained=REPORT_UNTRAINED,
        input_flags=INPUT_FLAGS,
    script:
        "../scripts/report_headline.py"


rule report_correlation_figures:
    input:
        correlations=rules.correlations.output[0],
    output:
        distribution=report(
            f"{REPORT_DIR}/correlation_distribution.{REPORT_FORMAT}",
            caption="../report/correlation_distribution.rst",
            category=REPORT_CATEGORIES["genes"],
            labels={"figure": "distribution of per-gene correlations"},
        ),
        sign_classes=report(
            f"{REPORT_DIR}/sign_classes.{REPORT_FORMAT}",
            caption="../report/sign_classes.rst",
            category=REPORT_CATEGORIES["genes"],
            labels={"figure": "sign classes per model"},
        ),
    log:
        "logs/report/correlation_figures.log",
    benchmark:
        "benchmarks/report/correlation_figures.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        correlation=config["evaluation"]["correlation"],
        colours=REPORT_COLOURS,
        untrained=REPORT_UNTRAINED,
        input_flags=INPUT_FLAGS,
    script:
        "../scripts/plot_correlations.py"


rule report_context_figures:
    input:
        correlations=rules.correlations.output[0],
        variant_effects=rules.variant_effects.output[0],
    output:
        r_context=report(
            f"{REPORT_DIR}/r_vs_eqtl_and_baseline.{REPORT_FORMAT}",
            caption="../report/r_context.rst",
            category=REPORT_CATEGORIES["genes"],
            labels={
                "figure": "per-gene r vs eQTL strength and vs the genotype baseline"
            },
        ),
        model_vs_model=report(
            f"{REPORT_DIR}/model_vs_model.{REPORT_FORMAT}",
            caption="../report/model_vs_model.rst",
            category=REPORT_CATEGORIES["genes"],
            labels={"figure": "per-gene r, model against model"},
        ),
        by_distance=report(
            f"{REPORT_DIR}/concordance_by_distance.{REPORT_FORMAT}",
            caption="../report/concordance_by_distance.rst",
            category=REPORT_CATEGORIES["variants"],
            labels={"figure": "sign concordance by distance to the TSS"},
        ),
    log:
        "logs/report/context_figures.log",
    conda:
        "../../envs/pexbench.yaml"
    params:
        correlation=config["evaluation"]["correlation"],
        min_group_size=config["report"]["min_group_size"],
        colours=REPORT_COLOURS,
        untrained=REPORT_UNTRAINED,
        input_flags=INPUT_FLAGS,
    script:
        "../scripts/plot_context.py"


rule report_across_genes:
    input:
        predictions=model_shard_files(rules.predict.output.table),
        expression=config["inputs"]["expression"],
        individuals=rules.individuals.output[0],
        genes=rules.gene_table.output.genes,
        correlations=rules.correlations.output[0],
    output:
        report(
            f"{REPORT_DIR}/across_genes_vs_individuals.{REPORT_FORMAT}",
            caption="../report/across_genes.rst",
            category=REPORT_CATEGORIES["genes"],
            labels={"figure": "across genes vs across individuals"},
        ),
    log:
        "logs/report/across_genes.log",
    conda:
        "../../envs/pexbench.yaml"
    params:
        model_shards=model_shard_keys(),
        log1p_models=[
            name
            for name, applies in log1p_models().items()
            if applies and config["aggregate"]["log1p"]
        ],
        correlation=config["evaluation"]["correlation"],
        colours=REPORT_COLOURS,
        untrained=REPORT_UNTRAINED,
        input_flags=INPUT_FLAGS,
    script:
        "../scripts/plot_across_genes.py"


rule report_extreme_genes:
    input:
        correlations=rules.correlations.output[0],
        predicted=rules.aggregate.output[0],
        measured=rules.measured_expression.output[0],
        genes=rules.gene_table.output.genes,
    output:
        report(
            f"{REPORT_DIR}/extreme_genes.{REPORT_FORMAT}",
            caption="../report/extreme_genes.rst",
            category=REPORT_CATEGORIES["genes"],
            labels={
                "figure": "predicted vs measured, most positive and most negative gene"
            },
        ),
    log:
        "logs/report/extreme_genes.log",
    benchmark:
        "benchmarks/report/extreme_genes.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        correlation=config["evaluation"]["correlation"],
        colours=REPORT_COLOURS,
        untrained=REPORT_UNTRAINED,
        input_flags=INPUT_FLAGS,
    script:
        "../scripts/plot_extremes.py"


rule report_concordance:
    input:
        variant_effects=rules.variant_effects.output[0],
    output:
        report(
            f"{REPORT_DIR}/concordance_by_state.{REPORT_FORMAT}",
            caption="../report/concordance_by_state.rst",
            category=REPORT_CATEGORIES["variants"],
            labels={"figure": "sign concordance by chromatin state"},
        ),
    log:
        "logs/report/concordance.log",
    benchmark:
        "benchmarks/report/concordance.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        min_group_size=config["report"]["min_group_size"],
        colours=REPORT_COLOURS,
        untrained=REPORT_UNTRAINED,
        input_flags=INPUT_FLAGS,
    script:
        "../scripts/plot_concordance.py"


rule report_dedup:
    input:
        stats=shard_files(rules.haplotypes.output.stats),
    output:
        report(
            f"{REPORT_DIR}/haplotype_dedup.{REPORT_FORMAT}",
            caption="../report/haplotype_dedup.rst",
            category=REPORT_CATEGORIES["haplotypes"],
            labels={"figure": "unique haplotypes per gene"},
        ),
    log:
        "logs/report/dedup.log",
    benchmark:
        "benchmarks/report/dedup.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        input_flags=INPUT_FLAGS,
    script:
        "../scripts/plot_dedup.py"


rule report_runtimes:
    input:
        REPORT_BENCHMARKS,
    output:
        figure=report(
            f"{REPORT_DIR}/rule_runtimes.{REPORT_FORMAT}",
            caption="../report/rule_runtimes.rst",
            category=REPORT_CATEGORIES["run"],
            labels={"item": "runtime per rule (figure)"},
        ),
        table=report(
            f"{REPORT_DIR}/rule_runtimes.tsv",
            caption="../report/rule_runtimes.rst",
            category=REPORT_CATEGORIES["run"],
            labels={"item": "runtime per job (table)"},
        ),
    log:
        "logs/report/runtimes.log",
    benchmark:
        "benchmarks/report/runtimes.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        input_flags=INPUT_FLAGS,
    script:
        "../scripts/plot_runtimes.py"


rule report_description:
    input:
        # inputs and local model weights are hashed into the description
        unpack(input_files),
        unpack(
            lambda wildcards: {
                f"weights_{name}": spec["weights"]
                for name, spec in MODELS.items()
                if isinstance(spec["weights"], str) and os.path.exists(spec["weights"])
            }
        ),
        runs=model_shard_files(rules.predict.output.run),
    output:
        rst=f"{REPORT_DIR}/run_description.rst",
        html=report(
            f"{REPORT_DIR}/run_description.html",
            caption="../report/run_description.rst",
            category=REPORT_CATEGORIES["run"],
            labels={
                "item": "run description: inputs, models, settings, software, hardware"
            },
        ),
    log:
        "logs/report/description.log",
    benchmark:
        "benchmarks/report/description.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        # every section but `report` (how the report shows tables, not what was run)
        settings={key: value for key, value in config.items() if key != "report"},
        workflow_dir=workflow.basedir,
    script:
        "../scripts/report_description.py"


rule report_tables:
    input:
        correlations=rules.correlations.output[0],
        variant_effects=rules.variant_effects.output[0],
        summary=rules.summary.output[0],
    output:
        correlations=report(
            f"{REPORT_DIR}/tables/gene_correlations.tsv",
            caption="../report/table_gene_correlations.rst",
            category=REPORT_CATEGORIES["tables"],
            labels={"table": "gene_correlations.tsv", "format": "TSV (complete)"},
        ),
        correlations_html=report(
            f"{REPORT_DIR}/tables/gene_correlations.html",
            caption="../report/table_gene_correlations.rst",
            category=REPORT_CATEGORIES["tables"],
            labels={"table": "gene_correlations.tsv", "format": "HTML view"},
        ),
        variant_effects=report(
            f"{REPORT_DIR}/tables/variant_effects.tsv",
            caption="../report/table_variant_effects.rst",
            category=REPORT_CATEGORIES["tables"],
            labels={"table": "variant_effects.tsv", "format": "TSV (complete)"},
        ),
        variant_effects_html=report(
            f"{REPORT_DIR}/tables/variant_effects.html",
            caption="../report/table_variant_effects.rst",
            category=REPORT_CATEGORIES["tables"],
            labels={"table": "variant_effects.tsv", "format": "HTML view"},
        ),
        summary=report(
            f"{REPORT_DIR}/tables/summary.json",
            caption="../report/table_summary.rst",
            category=REPORT_CATEGORIES["tables"],
            labels={"table": "summary.json", "format": "JSON (complete)"},
        ),
        summary_html=report(
            f"{REPORT_DIR}/tables/summary.html",
            caption="../report/table_summary.rst",
            category=REPORT_CATEGORIES["tables"],
            labels={"table": "summary.json", "format": "HTML view"},
        ),
    log:
        "logs/report/tables.log",
    benchmark:
        "benchmarks/report/tables.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        max_rows=config["report"]["max_table_rows"],
        untrained=REPORT_UNTRAINED,
        input_flags=INPUT_FLAGS,
    script:
        "../scripts/report_tables.py"


REPORT_TARGETS = [
    *rules.report_headline.output,
    *rules.report_correlation_figures.output,
    *rules.report_context_figures.output,
    *rules.report_across_genes.output,
    *rules.report_extreme_genes.output,
    *rules.report_concordance.output,
    *rules.report_dedup.output,
    *rules.report_runtimes.output,
    *rules.report_description.output,
    *rules.report_tables.output,
]
