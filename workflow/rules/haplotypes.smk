# Stage 2: per gene shard, the alleles each individual carries on each haplotype (deduplicated).


rule haplotypes:
    input:
        genes=rules.gene_table.output.genes,
        individuals=rules.individuals.output[0],
        vcf=rules.concat_vcf.output.vcf,
        tbi=rules.concat_vcf.output.tbi,
        fasta=rules.prepare_fasta.output.fasta,
        fai=rules.prepare_fasta.output.fai,
    output:
        npz="results/haplotypes/{shard}.npz",
        stats="results/haplotypes/{shard}.stats.tsv",
    log:
        "logs/haplotypes/{shard}.log",
    benchmark:
        "benchmarks/haplotypes/{shard}.tsv"
    conda:
        "../../envs/pexbench.yaml"
    params:
        length=haplotype_length(),
        unphased=config["haplotypes"]["unphased"],
        seed=config["haplotypes"]["seed"],
    script:
        "../scripts/haplotypes.py"
