"""pexbench.models.facts: the DAG-time model facts equal what the loaded models report, and the
module stays importable without torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pexbench.errors import ModelError
from pexbench.models import facts, load_model


@pytest.fixture(scope="module")
def targets(shared_data):
    return shared_data / "enformer" / "targets_human.txt"


def specs(shared_data):
    xpresso = str(shared_data / "models/xpresso_GM12878.h5")
    return [
        {"name": "t", "type": "enformer", "weights": "tiny"},
        {"name": "t2", "type": "enformer", "weights": " Tiny ", "sequence_length": 2048},
        {"name": "p", "type": "probe"},
        {"name": "p2", "type": "probe", "sequence_length": 1536},
        {"name": "x", "type": "xpresso", "weights": xpresso},
        {"name": "k", "type": "xpresso", "weights": xpresso, "tss_index": 7_000},
        {"name": "x2", "type": "xpresso", "weights": xpresso, "sequence_length": 20_000},
    ]


def test_facts_match_loaded_models(shared_data, targets):
    for spec in specs(shared_data):
        model = load_model(spec, targets=targets)
        assert facts.sequence_length(spec) == model.info.sequence_length, spec
        assert facts.is_trained(spec) == model.info.is_trained, spec
        assert facts.log1p_applies(spec) == (model.info.kind != "xpresso"), spec
    assert facts.sequence_length({"type": "enformer", "weights": "EleutherAI/x"}) == 196_608
    assert facts.is_trained({"type": "enformer", "weights": "EleutherAI/x"})


def test_the_numbers():
    assert facts.ENFORMER_LENGTH == 196_608 and facts.ENFORMER_TINY_LENGTH == 4_096
    assert facts.PROBE_LENGTH == 2_048
    # Xpresso: 10,500 bp with the TSS at index 6,999 on either strand -> 14,000 bp around it
    assert facts.sequence_length({"type": "xpresso"}) == 14_000
    assert facts.sequence_length({"type": "xpresso", "tss_index": 7_000}) == 14_002
    assert facts.sequence_length({"type": "xpresso", "tss_index": None}) == 14_000


def test_xpresso_input_span():
    """Windows of the xpresso.py docstring: + strand genome [tss - 6,999, tss + 3,501);
    - strand [tss - 3,500, tss + 7,000) (Huang et al.)."""
    assert facts.xpresso_input_span(14_000, 6_999, "+") == (-6_999, 3_501)
    assert facts.xpresso_input_span(14_000, 6_999, "-") == (-3_500, 7_000)
    assert facts.xpresso_input_span(16_000, 7_000, "-") == (-3_499, 7_001)
    assert facts.xpresso_window_offsets(14_000, 6_999) == (1, 3_500)
    with pytest.raises(ModelError, match="sequence_length >= 14000"):
        facts.xpresso_window_offsets(13_000, 6_999)


def test_errors_name_the_config_key():
    with pytest.raises(ModelError, match=r"models\[3\]\.type: 'basenji9'"):
        facts.sequence_length({"type": "basenji9"}, where="models[3]")
    with pytest.raises(ModelError, match=r"models\[1\]\.tss_index: 10500 is outside"):
        facts.sequence_length({"type": "xpresso", "tss_index": 10_500}, where="models[1]")
    with pytest.raises(ModelError, match=r"models\[0\]\.type"):
        facts.is_trained({"name": "x"}, where="models[0]")


def test_untrained_models():
    assert not facts.is_trained({"type": "probe", "weights": "anything"})
    assert not facts.is_trained({"type": "ENFORMER", "weights": "TINY"})
    assert facts.is_trained({"type": "xpresso", "weights": "x.h5"})
    assert facts.is_tiny_weights(" tiny") and not facts.is_tiny_weights(None)


def test_baseline_name_is_the_baseline_module_s():
    from pexbench.baseline import MODEL_NAME

    assert facts.BASELINE_MODEL == MODEL_NAME


def test_import_needs_no_torch():
    code = (
        "import sys\n"
        "from pexbench.models import facts\n"
        "heavy = {'torch', 'h5py', 'enformer_pytorch', 'pandas'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_used_settings_are_the_keys_each_type_reads() -> None:
    """Xpresso lists none of the Enformer/probe keys; lengths are the resolved ones."""
    common = {"tss_bins": 3, "bin_size": 128, "crop_bins": 4, "tracks": None, "device": "cpu"}
    xpresso = {"name": "x", "type": "xpresso", "weights": "x.h5", "tss_index": 6999, **common}
    used = facts.used_settings(xpresso)
    assert set(used) == {"weights", "tss_index", "sequence_length", "device"}
    assert used["sequence_length"] == facts.sequence_length(xpresso)
    tiny = {"name": "e", "type": "enformer", "weights": "tiny", "seed": 1, "use_tf_gamma": None}
    assert facts.used_settings(tiny) == {"weights": "tiny", "seed": 1, "sequence_length": 4096}
    real = {**tiny, "weights": "EleutherAI/enformer-official-rough", **common}
    used = facts.used_settings(real)
    assert "seed" not in used and used["use_tf_gamma"] is None
    assert used["sequence_length"] == 196_608 and "bin_size" not in used and "tracks" in used
    probe = facts.used_settings({"name": "p", "type": "probe", **common})
    assert set(probe) == {
        "tracks",
        "tss_bins",
        "bin_size",
        "crop_bins",
        "sequence_length",
        "device",
    }


SPECS = {
    "enf": {"name": "enf", "type": "enformer", "weights": "tiny"},
    "xp": {"name": "xp", "type": "xpresso"},
    "pr": {"name": "pr", "type": "probe"},
}


def test_interpretation_plan_takes_every_model_that_can() -> None:
    assert facts.interpretation_plan({"enabled": False}, SPECS) == {}
    plan = facts.interpretation_plan({"enabled": True, "models": None, "genes": "all"}, SPECS)
    assert plan == {"enf": ("attention", "contributions"), "xp": ("contributions",)}
    listed = facts.interpretation_plan({"enabled": True, "models": ["xp"]}, SPECS)
    assert listed == {"xp": ("contributions",)}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"models": ["pr"]}, r"interpretation.models\[0\]: model 'pr' \(type probe\) provides"),
        ({"models": ["xp", "nope"]}, r"interpretation.models\[1\]: 'nope' is not a model"),
        ({"models": [facts.BASELINE_MODEL]}, r"interpretation.models\[0\]: the genotype baseline"),
        ({"genes": "some"}, r"interpretation.genes: 'some' is not one of all, significant"),
    ],
)
def test_interpretation_plan_errors_name_the_key(section: dict, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        facts.interpretation_plan({"enabled": True, **section}, SPECS)
