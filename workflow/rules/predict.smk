# Stage 3: model predictions on every unique haplotype, and on single-variant sequences.


rule predict:
    input:
        unpack(model_inputs),
        haplotypes=rules.haplotypes.output.npz,
        fasta=rules.prepare_fasta.output.fasta,
    output:
        table="results/predictions/{model}/{shard}.tsv.gz",
        run="results/predictions/{model}/{shard}.run.json",
    log:
        "logs/predict/{model}/{shard}.log",
    benchmark:
        "benchmarks/predict/{model}/{shard}.tsv"
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
        haplotype_length=haplotype_length(),
    script:
        "../scripts/predict.py"


rule predict_variants:
    input:
        unpack(model_inputs),
        haplotypes=rules.haplotypes.output.npz,
        variants="results/variants/{shard}.tsv",
        fasta=rules.prepare_fasta.output.fasta,
    output:
        "results/variant_predictions/{model}/{shard}.tsv.gz",
    log:
        "logs/predict_variants/{model}/{shard}.log",
    benchmark:
        "benchmarks/predict_variants/{model}/{shard}.tsv"
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
        haplotype_length=haplotype_length(),
    script:
        "../scripts/predict_variants.py"


rule aggregate:
    input:
        predictions=model_shard_files(rules.predict.output.table),
        # rule baseline is defined later (evaluate.smk): its output path is written out here
        baseline=baseline_shard_files("results/baseline/{shard}.tsv.gz"),
        haplotypes=shard_files(rules.haplotypes.output.npz),
    output:
        "results/expression/predicted.tsv.gz",
    log:
        "logs/aggregate.log",
    benchmark:
        "benchmarks/aggregate/all.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        model_shards=model_shard_keys(),
        shards=SHARDS,
        log1p_models=log1p_models(),
        combine=config["aggregate"]["combine"],
        log1p=config["aggregate"]["log1p"],
    script:
        "../scripts/aggregate.py"
