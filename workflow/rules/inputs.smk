# Stage 1: reference index, normalised genotypes, gene table, individuals.


rule prepare_fasta:
    input:
        fasta=config["inputs"]["fasta"],
    output:
        fasta="results/inputs/reference.fa.gz",
        fai="results/inputs/reference.fa.gz.fai",
        gzi="results/inputs/reference.fa.gz.gzi",
    log:
        "logs/prepare_fasta.log",
    benchmark:
        "benchmarks/prepare_fasta.tsv"
    conda:
        "../../envs/pexbench.yaml"
    script:
        "../scripts/prepare_fasta.py"


rule gene_table:
    input:
        annotation=config["inputs"]["annotation"],
        expression=config["inputs"]["expression"],
        fasta=rules.prepare_fasta.output.fasta,
        fai=rules.prepare_fasta.output.fai,
    output:
        genes="results/inputs/genes.tsv",
        dropped="results/inputs/genes_dropped.tsv",
    log:
        "logs/gene_table.log",
    benchmark:
        "benchmarks/gene_table.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        gene_types=config["genes"]["gene_types"],
        regions=config["genes"]["regions"],
        gene_ids=config["genes"]["gene_ids"],
        max_genes=config["genes"]["max_genes"],
        shards=config["genes"]["shards"],
    script:
        "../scripts/gene_table.py"


rule normalise_vcf:
    input:
        unpack(vcf_index),
        vcf=vcf_part,
        fasta=rules.prepare_fasta.output.fasta,
        fai=rules.prepare_fasta.output.fai,
        genes=rules.gene_table.output.genes,
    output:
        vcf="results/inputs/vcf_parts/{part}.vcf.gz",
        tbi="results/inputs/vcf_parts/{part}.vcf.gz.tbi",
        counts="results/inputs/vcf_parts/{part}.counts.tsv",
        mismatches="results/inputs/vcf_parts/{part}.ref_mismatches.tsv",
    log:
        "logs/normalise_vcf/{part}.log",
    benchmark:
        "benchmarks/normalise_vcf/{part}.tsv"
    conda:
        "../../envs/pexbench.yaml"
    threads: 2
    params:
        # records further than this from every TSS are never used
        margin=variant_margin(),
        on_ref_mismatch=config["inputs"]["on_ref_mismatch"],
        samples=NORMALISE_SAMPLES,
    script:
        "../scripts/normalise_vcf.py"


rule concat_vcf:
    input:
        vcf=expand(rules.normalise_vcf.output.vcf, part=VCF_PARTS),
        tbi=expand(rules.normalise_vcf.output.tbi, part=VCF_PARTS),
        counts=expand(rules.normalise_vcf.output.counts, part=VCF_PARTS),
        mismatches=expand(rules.normalise_vcf.output.mismatches, part=VCF_PARTS),
    output:
        vcf="results/inputs/genotypes.vcf.gz",
        tbi="results/inputs/genotypes.vcf.gz.tbi",
        counts="results/inputs/genotypes.counts.tsv",
        mismatches="results/inputs/ref_mismatches.tsv",
    log:
        "logs/concat_vcf.log",
    benchmark:
        "benchmarks/concat_vcf.tsv"
    conda:
        "../../envs/pexbench.yaml"
    script:
        "../scripts/concat_vcf.py"


rule individuals:
    input:
        unpack(covariate_files),
        # the samples of inputs.vcf (every file has the same): also those not normalised
        vcf=VCF_FILES[0],
        expression=config["inputs"]["expression"],
    output:
        "results/inputs/individuals.tsv",
    log:
        "logs/individuals.log",
    benchmark:
        "benchmarks/individuals.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        include=config["individuals"]["include"],
    script:
        "../scripts/individuals.py"


rule download:
    output:
        "resources/downloads/{file}",
    log:
        "logs/download/{file}.log",
    conda:
        "../../envs/pexbench.yaml"
    params:
        url=download_url,
    script:
        "../scripts/download.py"
