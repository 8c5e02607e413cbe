"""Track selection from Enformer's targets_human.txt (pexbench.models.tracks)."""

from __future__ import annotations

import pytest

from pexbench.errors import ModelError
from pexbench.models.tracks import TrackTable

GM12878_CAGE = "CAGE:B lymphoblastoid cell line: GM12878 ENCODE, biol_"


@pytest.fixture(scope="module")
def targets(shared_data):
    return shared_data / "enformer" / "targets_human.txt"


@pytest.fixture(scope="module")
def table(targets):
    return TrackTable.read(targets)


def test_track_table_reads_the_5313_human_tracks(table, targets):
    assert len(table) == 5313
    # independent read of the file: line 5110 + header
    line = targets.read_text().splitlines()[5111].split("\t")
    assert line[0] == "5110" and line[2] == "CNhs12333" and line[-1] == GM12878_CAGE
    t = table.select_one(5110)
    assert (t.index, t.identifier, t.description) == (5110, "CNhs12333", GM12878_CAGE)


@pytest.mark.parametrize(
    "key", [5110, "5110", "CNhs12333", GM12878_CAGE, "cage:b lymphoblastoid cell line: gm12878"]
)
def test_track_by_index_identifier_description_substring(table, key):
    assert table.select_one(key).index == 5110


def test_ambiguous_description_lists_candidates(table):
    # DNASE:GM12878 is the exact description of tracks 12 and 69 (NOTES/SOURCES)
    with pytest.raises(ModelError, match="ambiguous") as err:
        table.select_one("DNASE:GM12878")
    assert "  12: DNASE:GM12878" in str(err.value) and "  69: DNASE:GM12878" in str(err.value)
    with pytest.raises(ModelError, match=r"matches \d+ tracks"):
        table.select_one("GM12878")


def test_unknown_track_lists_close_matches(table):
    with pytest.raises(ModelError, match="unknown track") as err:
        table.select_one("CAGE:B lymphoblastoid cell line: GM12887 ENCODE, biol_")
    assert "5110: " + GM12878_CAGE in str(err.value)
    with pytest.raises(ModelError, match="out of range"):
        table.select_one(5313)
    with pytest.raises(ModelError, match="both select track 5110"):
        table.select([5110, "CNhs12333"])
