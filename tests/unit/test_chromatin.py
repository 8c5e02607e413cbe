"""Chromatin state assignment.

Small BEDs here are GENERATED fixtures (hand-written intervals), labelled as such; the real
GM12878 Broad ChromHMM segmentation of ../shared/data is used where a test says so.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from pexbench.chromatin import (
    BROAD_15_STATE,
    ENCODE_LABELS,
    ROADMAP_15_STATE,
    assign_states,
    load_states,
    read_states,
)
from pexbench.contigs import ContigError
from pexbench.errors import InputError

# GENERATED fixture (not real data): ENCODE combined labels on chr22, 9-column like the real file.
ENCODE_LIKE = (
    "track name=generated_fixture\n"
    "chr22\t100\t200\tTSS\t0\t.\t100\t200\t255,0,0\n"
    "chr22\t200\t250\tPF\t0\t.\t200\t250\t255,0,0\n"
    "chr22\t300\t400\tE\t0\t.\t300\t400\t255,0,0\n"
    "chr21\t0\t1000\tR\t0\t.\t0\t1000\t0,0,0\n"
)


def _bed(tmp_path: Path, text: str, name: str = "states.bed") -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


def test_assignment_at_interval_edges(tmp_path: Path) -> None:
    states = read_states(_bed(tmp_path, ENCODE_LIKE, "states.bed.gz"))
    assert list(states.columns) == ["chrom", "start", "end", "state", "line"]
    pos = [99, 100, 199, 200, 249, 250, 299, 300, 399, 400, 10]
    chrom = ["chr22"] * 10 + ["chr21"]
    got, counts = assign_states(states, chrom, pos)
    assert list(got) == [
        "unassigned",  # before the first interval
        "TSS",  # start is inclusive (0-based)
        "TSS",
        "PF",  # end is exclusive: 200 belongs to the next interval
        "PF",
        "unassigned",  # gap [250, 300)
        "unassigned",
        "E",
        "E",
        "unassigned",  # after the last interval
        "R",
    ]
    assert counts == {"assigned": 7, "unassigned": 4}


def test_contig_names_are_harmonised(tmp_path: Path) -> None:
    states = read_states(_bed(tmp_path, ENCODE_LIKE))
    got, _ = assign_states(states, ["22", "22", "MT"], [150, 350, 5])
    assert list(got) == ["TSS", "E", "unassigned"]  # MT has no intervals: unassigned, counted


def test_bed_on_other_contigs_is_an_error(tmp_path: Path) -> None:
    # GENERATED fixture whose contigs are named for another assembly/naming scheme
    text = "NC_000022.10\t0\t100\tE\nNC_000021.8\t0\t100\tR\n"
    states = read_states(_bed(tmp_path, text))
    with pytest.raises(ContigError, match="none of the variant contigs"):
        assign_states(states, ["22"], [5])


def test_overlap_names_lines(tmp_path: Path) -> None:
    text = "chr22\t0\t100\tE\n#comment\nchr22\t300\t400\tR\nchr22\t50\t120\tT\n"
    with pytest.raises(InputError, match=r"lines 1 and 4 overlap"):
        read_states(_bed(tmp_path, text))


def test_unknown_state_and_mapping(tmp_path: Path) -> None:
    text = "chr22\t0\t100\t1_TssA\nchr22\t100\t200\t7_Enh\nchr22\t200\t300\t15_Quies\n"
    path = _bed(tmp_path, text)
    with pytest.raises(
        InputError, match=r"line 1: state '1_TssA'.*evaluation\.chromatin_state_mapping.*roadmap15"
    ):
        read_states(path)
    states = read_states(path, state_map=ROADMAP_15_STATE)
    got, _ = assign_states(states, ["chr22"] * 3, np.array([0, 150, 299]))
    assert list(got) == ["TSS", "E", "R"]


def test_broad15_preset_maps_every_broad_state(tmp_path: Path) -> None:
    """The Broad 15-state ChromHMM names (UCSC wgEncodeBroadHmm*) -> ENCODE labels, as
    documented: 1 TSS, 2-3 PF, 4-5 E, 6-7 WE, 8 CTCF, 9-11 T, 12-15 R (approximate)."""
    from pexbench import chromatin
    from pexbench.chromatin import state_map_from_config

    expected = {1: "TSS", 2: "PF", 3: "PF", 4: "E", 5: "E", 6: "WE", 7: "WE", 8: "CTCF"}
    expected |= {9: "T", 10: "T", 11: "T", 12: "R", 13: "R", 14: "R", 15: "R"}
    assert len(BROAD_15_STATE) == 15
    assert {int(name.split("_")[0]): label for name, label in BROAD_15_STATE.items()} == expected
    assert set(BROAD_15_STATE.values()) == set(ENCODE_LABELS)
    assert state_map_from_config("broad15") == BROAD_15_STATE
    assert "approximate" in chromatin.__doc__
    # GENERATED fixture with the real file's state names (BED9), and a gap [300, 400)
    names = list(BROAD_15_STATE)
    text = "".join(
        f"chr22\t{s}\t{s + 100}\t{name}\t0\t.\t{s}\t{s + 100}\t0,0,0\n"
        for s, name in zip(range(0, 3000, 100), [*names[:3], "", *names[3:]], strict=False)
        if name
    )
    states = read_states(_bed(tmp_path, text), state_map=state_map_from_config("broad15"))
    got, counts = assign_states(states, ["22"] * 16, [50 + 100 * i for i in range(16)])
    labels = "TSS PF PF unassigned E E WE WE CTCF T T T R R R R".split()
    assert list(got) == labels
    assert counts == {"assigned": 15, "unassigned": 1}  # the gap is counted, not dropped
    with pytest.raises(InputError, match=r"line 1: state '1_Active_Promoter'.*broad15"):
        read_states(_bed(tmp_path, text))


def test_malformed_lines(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="line 1 has 3 columns"):
        read_states(_bed(tmp_path, "chr22\t0\t100\n"))
    with pytest.raises(InputError, match="line 1: interval"):
        read_states(_bed(tmp_path, "chr22\t100\t100\tE\n"))
    with pytest.raises(InputError, match="not integers"):
        read_states(_bed(tmp_path, "chr22\tx\t100\tE\n"))


def test_state_map_from_config() -> None:
    from pexbench.chromatin import state_map_from_config

    assert state_map_from_config(None) is None
    assert state_map_from_config("encode") is None
    assert state_map_from_config("roadmap15")["7_Enh"] == "E"
    partial = state_map_from_config({"x": "WE"})
    # a partial mapping keeps the ENCODE names as they are
    assert partial == {
        "CTCF": "CTCF",
        "E": "E",
        "PF": "PF",
        "R": "R",
        "TSS": "TSS",
        "T": "T",
        "WE": "WE",
        "x": "WE",
    }
    with pytest.raises(InputError, match=r"evaluation\.chromatin_state_mapping.*not ENCODE"):
        state_map_from_config({"x": "Enhancer"})
    with pytest.raises(InputError, match=r"evaluation\.chromatin_state_mapping.*unknown"):
        state_map_from_config("chromhmm18")


def test_partial_mapping_reads_mixed_file(tmp_path: Path) -> None:
    from pexbench.chromatin import state_map_from_config

    path = _bed(tmp_path, "chr22\t0\t100\tE\nchr22\t100\t200\tmy_promoter\n")
    states = read_states(path, state_map=state_map_from_config({"my_promoter": "TSS"}))
    assert list(states["state"]) == ["E", "TSS"]
    # the raw mapping alone (no ENCODE identity) would reject the ENCODE name on line 1
    with pytest.raises(InputError, match="line 1: state 'E'"):
        read_states(path, state_map={"my_promoter": "TSS"})


def test_load_states_follows_the_config(tmp_path: Path) -> None:
    bed = tmp_path / "r.bed"
    bed.write_text("chr22\t0\t10\t1_TssA\nchr22\t10\t20\t7_Enh\n")
    assert load_states(None, "roadmap15") is None
    assert load_states(bed, "roadmap15")["state"].tolist() == ["TSS", "E"]
    with pytest.raises(InputError, match=r"evaluation\.chromatin_state_mapping"):
        load_states(bed, None)
