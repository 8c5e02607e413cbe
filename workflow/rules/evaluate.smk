# Stages 4-5: measured expression, eQTLs, the genotype baseline and every evaluation table.

# The keys of each `models:` entry that summary.json records.
SUMMARY_MODEL_KEYS = ("name", "type", "weights", "tracks", "sequence_length", "device")


rule measured_expression:
    input:
        unpack(covariate_files),
        expression=config["inputs"]["expression"],
        genes=rules.gene_table.output.genes,
        individuals=rules.individuals.output[0],
    output:
        "results/expression/measured.tsv.gz",
    log:
        "logs/measured_expression.log",
    benchmark:
        "benchmarks/measured_expression/all.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        covariates_n=config["expression"]["covariates_n"],
        rank_inverse_normal=config["expression"]["rank_inverse_normal"],
    script:
        "../scripts/measured_expression.py"


rule eqtl:
    input:
        unpack(covariate_files),
        measured=rules.measured_expression.output[0],
        genes=rules.gene_table.output.genes,
        individuals=rules.individuals.output[0],
        vcf=rules.concat_vcf.output.vcf,
    output:
        "results/eqtl/{shard}.tsv.gz",
    log:
        "logs/eqtl/{shard}.log",
    benchmark:
        "benchmarks/eqtl/{shard}.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        window=config["genes"]["window"],
        covariates_n=config["expression"]["covariates_n"],
    script:
        "../scripts/eqtl.py"


rule select_variants:
    input:
        eqtl=rules.eqtl.output[0],
        haplotypes=rules.haplotypes.output.npz,
    output:
        "results/variants/{shard}.tsv",
    log:
        "logs/select_variants/{shard}.log",
    benchmark:
        "benchmarks/select_variants/{shard}.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        how=config["evaluation"]["variants"],
        p_threshold=config["evaluation"]["eqtl_p_threshold"],
        max_per_gene=config["evaluation"]["max_variants_per_gene"],
    script:
        "../scripts/select_variants.py"


rule baseline:
    input:
        measured=rules.measured_expression.output[0],
        genes=rules.gene_table.output.genes,
        individuals=rules.individuals.output[0],
        vcf=rules.concat_vcf.output.vcf,
    output:
        predicted="results/baseline/{shard}.tsv.gz",
        report="results/baseline/{shard}.report.tsv",
    log:
        "logs/baseline/{shard}.log",
    benchmark:
        "benchmarks/baseline/{shard}.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        window=config["baseline"]["window"],
        folds=config["baseline"]["folds"],
        seed=config["baseline"]["seed"],
    script:
        "../scripts/baseline.py"


rule correlations:
    input:
        predicted=rules.aggregate.output[0],
        measured=rules.measured_expression.output[0],
    output:
        "results/evaluation/gene_correlations.tsv",
    log:
        "logs/correlations.log",
    benchmark:
        "benchmarks/correlations/all.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        fdr=config["evaluation"]["fdr"],
        correlation=config["evaluation"]["correlation"],
    script:
        "../scripts/correlations.py"


rule chromatin_states:
    input:
        unpack(chromatin_files),
        eqtl=shard_files(rules.eqtl.output[0]),
        correlations=rules.correlations.output[0],
    output:
        "results/evaluation/sign_classes_by_state.tsv",
    log:
        "logs/chromatin_states.log",
    benchmark:
        "benchmarks/chromatin_states/all.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        state_mapping=config["evaluation"]["chromatin_state_mapping"],
        p_threshold=config["evaluation"]["eqtl_p_threshold"],
    script:
        "../scripts/chromatin_states.py"


rule variant_effects:
    input:
        unpack(chromatin_files),
        predictions=model_shard_files(rules.predict_variants.output[0]),
        variants=shard_files(rules.select_variants.output[0]),
    output:
        "results/evaluation/variant_effects.tsv",
    log:
        "logs/variant_effects.log",
    benchmark:
        "benchmarks/variant_effects/all.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        model_shards=model_shard_keys(),
        state_mapping=config["evaluation"]["chromatin_state_mapping"],
        log1p=config["aggregate"]["log1p"],
        log1p_models=log1p_models(),
    script:
        "../scripts/variant_effects.py"


rule summary:
    input:
        correlations=rules.correlations.output[0],
        variant_effects=rules.variant_effects.output[0],
        sign_classes_by_state=rules.chromatin_states.output[0],
        variants=shard_files(rules.select_variants.output[0]),
        baseline_reports=baseline_shard_files(rules.baseline.output.report),
        genes=rules.gene_table.output.genes,
        genes_dropped=rules.gene_table.output.dropped,
        individuals=rules.individuals.output[0],
        vcf_counts=rules.concat_vcf.output.counts,
        haplotype_stats=shard_files(rules.haplotypes.output.stats),
    output:
        "results/evaluation/summary.json",
    log:
        "logs/summary.log",
    benchmark:
        "benchmarks/summary/all.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        # the settings summary.json records (and only those: other keys do not rerun it)
        settings={
            "correlation": config["evaluation"]["correlation"],
            "fdr": config["evaluation"]["fdr"],
            "haplotypes": config["haplotypes"],
            "aggregate": config["aggregate"],
            "expression": config["expression"],
            "evaluation": config["evaluation"],
            "models": [
                {key: spec[key] for key in SUMMARY_MODEL_KEYS}
                for spec in config["models"]
            ],
        },
    script:
        "../scripts/summary.py"
