"""How models look in every figure and table of the report (torch- and matplotlib-free).

One home for the colours: `model_colours` of the configured model order (`model_order`: the
configured models, then the genotype baseline) gives each model the same colour in every figure,
the baseline always the same grey; sign classes have their own palette (`SIGN_COLOURS`), never a
model's. `untrained_models` names the models whose numbers are flagged `UNTRAINED_FLAG`.
The workflow computes these once (workflow/rules/report.smk) and passes them to every figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pexbench.models.facts import BASELINE_MODEL, is_trained
from pexbench.stats import SIGN_NEG, SIGN_NOT_TESTED, SIGN_NS, SIGN_POS

__all__ = [
    "BASELINE_COLOUR",
    "MODEL_PALETTE",
    "NEUTRAL_COLOURS",
    "SIGN_COLOURS",
    "UNTRAINED_FLAG",
    "model_colours",
    "model_order",
    "untrained_models",
]

#: Colour-blind safe (Okabe-Ito): the sequence models, in the configured order.
MODEL_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
#: The genotype baseline is the same grey in every figure.
BASELINE_COLOUR = "#8C8C8C"
#: Sign classes (diverging green / magenta, greys for the rest): never a model's colour.
SIGN_COLOURS: dict[str, str] = {
    SIGN_POS: "#4D9221",
    SIGN_NEG: "#C51B7D",
    SIGN_NS: "#D9D9D9",
    SIGN_NOT_TESTED: "#FFFFFF",
}
#: Colours of things that are neither a model nor a sign class (deduplication, runtimes).
NEUTRAL_COLOURS = ("#4C4C4C", "#A6A6A6")
#: Written next to every model with untrained weights, in every figure and table that shows it.
UNTRAINED_FLAG = "random weights, NOT A RESULT"


def model_order(models: Sequence[Mapping[str, Any]], baseline: bool) -> list[str]:
    """The configured model names (`models` of the config), then the genotype baseline when it
    runs: the order of the report's tables and the key of `model_colours`."""
    names = [str(m["name"]) for m in models]
    return names + ([BASELINE_MODEL] if baseline else [])


def untrained_models(models: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the configured models with untrained (random) weights (`facts.is_trained`)."""
    return [str(m["name"]) for i, m in enumerate(models) if not is_trained(m, where=f"models[{i}]")]


def model_colours(models: Sequence[str]) -> dict[str, str]:
    """The colour of each model in every figure: the genotype baseline grey, the others the
    Okabe-Ito colours in the order given. Every figure of one report gets the same list
    (`model_order`), so a model keeps its colour from figure to figure."""
    names = list(dict.fromkeys(str(m) for m in models))
    others = [m for m in names if m != BASELINE_MODEL]
    out = {m: MODEL_PALETTE[i % len(MODEL_PALETTE)] for i, m in enumerate(others)}
    if BASELINE_MODEL in names:
        out[BASELINE_MODEL] = BASELINE_COLOUR
    return out
