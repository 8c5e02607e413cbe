"""Rule individuals: every individual seen, with `kept` and the reason for dropping the others."""

import pandas as pd
from wfutil import start_logging, write_table

from pexbench.expression import read_covariates
from pexbench.inputs import individuals_table, select_individuals

log = start_logging(snakemake.log[0])
kept, dropped = select_individuals(
    snakemake.input.vcf, snakemake.input.expression, requested=snakemake.params.include
)
covariates = snakemake.input.get("covariates")
if covariates:
    have = set(read_covariates(covariates).columns)
    lacking = [ind for ind in kept if ind not in have]
    if lacking:
        log.warning("%d individuals have no covariates in %s: dropped", len(lacking), covariates)
        dropped = pd.concat(
            [
                dropped,
                pd.DataFrame(
                    {"individual": lacking, "source": "covariates", "reason": "no covariates"}
                ),
            ],
            ignore_index=True,
        )
        kept = [ind for ind in kept if ind in have]
    if not kept:
        raise SystemExit(f"no individual left: none of them has covariates in {covariates}")
table = individuals_table(kept, dropped)
table.insert(1, "kept", table["reason"] == "kept")
log.info(
    "%d individuals kept; dropped per reason: %s",
    len(kept),
    dropped["reason"].value_counts().to_dict(),
)
write_table(table, snakemake.output[0])
