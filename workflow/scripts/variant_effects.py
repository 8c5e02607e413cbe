"""Rule variant_effects: each model's single-variant effect next to the eQTL effect.

predicted_effect = f(alt_value) - f(ref_value) (the variant alone in the reference sequence;
f = log1p for the models aggregate log-transforms, identity otherwise), mean over tracks;
concordant = sign agreement with the eQTL beta (NA for a tie). A variant outside the window the
model reads (predict_variants: in_model_input False) gets status "outside model input",
predicted_effect NaN and concordant NA (not a tie). See pexbench.evaluate.
"""

import pandas as pd
from wfutil import read_table, start_logging, write_table

from pexbench.chromatin import read_states, state_map_from_config
from pexbench.evaluate import VARIANT_EFFECT_COLUMNS, variant_effects

log = start_logging(snakemake.log[0])
params = snakemake.params
ids = {"gene_id": str, "variant_id": str, "chrom": str}
variants = pd.concat(
    [read_table(p, dtype=ids) for p in snakemake.input.variants], ignore_index=True
)
scored = variants[variants["scored"] == "yes"]
log.info("selected variants by status: %s", variants["scored"].value_counts().to_dict())
states = None
if snakemake.input.get("states"):
    states = read_states(snakemake.input.states, state_map=state_map_from_config(params.mapping))

frames = []
for path in snakemake.input.predictions:
    name = path.split("/")[-2]
    pred = read_table(path, dtype={"gene_id": str, "variant_id": str, "track": str})
    shard = path.split("/")[-1].split(".")[0]
    mine = scored[scored["gene_id"].isin(set(pred["gene_id"]))]
    table = variant_effects(
        pred,
        mine,
        model=name,
        states=states,
        log1p=params.log1p and params.log1p_models[name],
    )
    log.info("%s (shard %s): %s", name, shard, table.attrs["counts"])
    frames.append(table)
frames = [f for f in frames if len(f)]
effects = (
    pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=VARIANT_EFFECT_COLUMNS)
)
effects = effects.sort_values(["model", "gene_id", "pos", "variant_id"], kind="stable")
write_table(effects[VARIANT_EFFECT_COLUMNS], snakemake.output[0])
