"""Rule aggregate: per model, gene and individual, one predicted value (pexbench.evaluate).

log1p applies to count-like models (enformer, probe) when aggregate.log1p is set; Xpresso
already predicts a log-scale value and is never log-transformed. The genotype baseline's
out-of-fold predictions are appended as one more model.
"""

import pandas as pd
from wfutil import read_table, start_logging, write_table

from pexbench.evaluate import aggregate, assignment_frame
from pexbench.haplotypes import load_shard

log = start_logging(snakemake.log[0])
params = snakemake.params
COLUMNS = ["model", "gene_id", "individual", "predicted"]

assignments = {
    shard: assignment_frame(load_shard(path))
    for shard, path in zip(params.shards, snakemake.input.haplotypes, strict=True)
}
frames = []
for path in snakemake.input.predictions:
    name, shard = path.split("/")[-2], path.split("/")[-1].split(".")[0]
    pred = read_table(path, dtype={"gene_id": str, "track": str})
    log1p = params.log1p and params.log1p_models[name]
    table = aggregate(pred, assignments[shard], model=name, combine=params.combine, log1p=log1p)
    log.info(
        "%s: %d genes, %d rows (log1p: %s)", path, table["gene_id"].nunique(), len(table), log1p
    )
    frames.append(table)
for path in snakemake.input.baseline:
    frames.append(read_table(path, dtype={"gene_id": str, "individual": str}))
frames = [f for f in frames if len(f)]
table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
table = table[COLUMNS].sort_values(["model", "gene_id", "individual"], kind="stable")
log.info("genes per model: %s", table.groupby("model")["gene_id"].nunique().to_dict())
write_table(table, snakemake.output[0])
