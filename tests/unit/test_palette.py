"""One colour per model, the baseline grey, untrained models named from the config."""

from __future__ import annotations

from pexbench.models.facts import BASELINE_MODEL
from pexbench.palette import (
    BASELINE_COLOUR,
    MODEL_PALETTE,
    SIGN_COLOURS,
    model_colours,
    model_order,
    untrained_models,
)

MODELS = [
    {"name": "enformer_tiny_random", "type": "enformer", "weights": "tiny"},
    {"name": "xpresso", "type": "xpresso", "weights": "x.h5"},
    {"name": "probe", "type": "probe"},
]


def test_order_and_colours_follow_the_config() -> None:
    order = model_order(MODELS, baseline=True)
    assert order == ["enformer_tiny_random", "xpresso", "probe", BASELINE_MODEL]
    assert model_order(MODELS, baseline=False) == order[:-1]
    colours = model_colours(order)
    assert colours == {
        "enformer_tiny_random": MODEL_PALETTE[0],
        "xpresso": MODEL_PALETTE[1],
        "probe": MODEL_PALETTE[2],
        BASELINE_MODEL: BASELINE_COLOUR,
    }
    # the baseline is grey wherever it comes in the list; no model shares a sign-class colour
    assert model_colours([BASELINE_MODEL, "a"]) == {BASELINE_MODEL: BASELINE_COLOUR, "a": "#0072B2"}
    assert not set(colours.values()) & set(SIGN_COLOURS.values())
    assert len(set(MODEL_PALETTE)) == len(MODEL_PALETTE) and BASELINE_COLOUR not in MODEL_PALETTE


def test_untrained_models_are_named() -> None:
    # the tiny Enformer has random weights, the probe is not learned; Xpresso is trained
    assert untrained_models(MODELS) == ["enformer_tiny_random", "probe"]
