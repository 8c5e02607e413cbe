# Stage 6 (optional, `interpretation.enabled`): where the model looks. Rule interpret runs per
# model x shard for the models that can (pexbench.models.facts.interpretation_plan: Enformer
# attention + contributions, Xpresso contributions); interpretation_summary joins the shards
# into results/evaluation/interpretation_*.tsv; report_interpretation draws the figures.

INTERPRET_DIR = "results/interpretation"
INTERPRET_CATEGORY = "Where the model looks"


localrules:
    report_interpretation,


rule interpret:
    input:
        unpack(model_inputs),
        unpack(interpret_inputs),
        haplotypes=rules.haplotypes.output.npz,
        fasta=rules.prepare_fasta.output.fasta,
        fai=rules.prepare_fasta.output.fai,
        genes=rules.gene_table.output.genes,
    output:
        npz=f"{INTERPRET_DIR}/{{model}}/{{shard}}.npz",
        effects=f"{INTERPRET_DIR}/{{model}}/{{shard}}.effects.tsv.gz",
        enrichment=f"{INTERPRET_DIR}/{{model}}/{{shard}}.enrichment.tsv.gz",
    log:
        "logs/interpret/{model}/{shard}.log",
    benchmark:
        "benchmarks/interpret/{model}/{shard}.tsv"
    conda:
        "../../envs/pexbench.yaml"
    threads: 2
    resources:
        gpu=model_gpus,
        gpu_model=model_gpu_model,
        slurm_partition=model_slurm_partition,
    params:
        spec=model_spec,
        index=model_index,
        length=haplotype_length(),
        measures=interpret_measures,
        settings=config["interpretation"],
        state_mapping=config["evaluation"]["chromatin_state_mapping"],
    script:
        "../scripts/interpret.py"


rule interpretation_summary:
    input:
        unpack(chromatin_files),
        effects=interpret_files(rules.interpret.output.effects),
        enrichment=interpret_files(rules.interpret.output.enrichment),
        arrays=interpret_files(rules.interpret.output.npz),
        predictions=interpret_files(rules.predict.output.table),
        haplotypes=shard_files(rules.haplotypes.output.npz),
        variants=shard_files(rules.select_variants.output[0]),
        correlations=rules.correlations.output[0],
    output:
        effects="results/evaluation/interpretation_effects.tsv.gz",
        enrichment=report(
            "results/evaluation/interpretation_enrichment.tsv",
            caption="../report/interpretation_tables.rst",
            category=INTERPRET_CATEGORY,
            labels={"item": "attention and contribution mass by state and distance"},
        ),
        additivity=report(
            "results/evaluation/interpretation_additivity.tsv",
            caption="../report/interpretation_tables.rst",
            category=INTERPRET_CATEGORY,
            labels={"item": "additivity of single-variant effects per gene"},
        ),
        leads=report(
            "results/evaluation/interpretation_leads.tsv",
            caption="../report/interpretation_tables.rst",
            category=INTERPRET_CATEGORY,
            labels={"item": "lead eQTLs of significantly negative genes"},
        ),
        counts=report(
            "results/evaluation/interpretation_counts.tsv",
            caption="../report/interpretation_tables.rst",
            category=INTERPRET_CATEGORY,
            labels={"item": "what was interpreted, skipped and counted"},
        ),
    log:
        "logs/interpretation_summary.log",
    benchmark:
        "benchmarks/interpretation_summary/all.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        model_shards=INTERPRET_KEYS,
        trained=trained_models(),
        state_mapping=config["evaluation"]["chromatin_state_mapping"],
    script:
        "../scripts/interpretation_summary.py"


rule report_interpretation:
    input:
        unpack(chromatin_files),
        arrays=interpret_files(rules.interpret.output.npz),
        correlations=rules.correlations.output[0],
        effects=rules.interpretation_summary.output.effects,
        enrichment=rules.interpretation_summary.output.enrichment,
    output:
        tracks=report(
            "results/report/interpretation_tracks.svg",
            caption="../report/interpretation_tracks.rst",
            category=INTERPRET_CATEGORY,
            labels={"figure": "attention and contributions around the TSS"},
        ),
        enrichment=report(
            "results/report/interpretation_enrichment.svg",
            caption="../report/interpretation_enrichment.rst",
            category=INTERPRET_CATEGORY,
            labels={"figure": "mass by chromatin state and distance to the TSS"},
        ),
    log:
        "logs/report/interpretation.log",
    benchmark:
        "benchmarks/report/interpretation.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        model_shards=INTERPRET_KEYS,
        trained=trained_models(),
        state_mapping=config["evaluation"]["chromatin_state_mapping"],
        input_flags=INPUT_FLAGS,
    script:
        "../scripts/plot_interpretation.py"


INTERPRET_TARGETS = (
    [*rules.interpretation_summary.output, *rules.report_interpretation.output]
    if INTERPRET_MODELS
    else []
)
