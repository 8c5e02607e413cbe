"""Chromatin states of variant positions from a segmentation BED.

The BED is 0-based half-open (`chrom start end name ...`; extra columns ignored; `track`,
`browser` and `#` lines skipped); the name column is the state. States are mapped onto the
ENCODE combined segmentation labels (CTCF, E, PF, R, TSS, T, WE) by `state_map`; the default
is the identity on those labels (the ENCODE `wgEncodeAwgSegmentationCombined*` files);
`ROADMAP_15_STATE` and `BROAD_15_STATE` are approximate mappings for the Roadmap 15-state and
the Broad (ENCODE 2011, `wgEncodeBroadHmm*`) 15-state ChromHMM models. A state that is neither a
label nor in the map is an error naming the line.

A position p (0-based) is in interval [start, end) when start <= p < end; a position in no
interval is "unassigned" (counted). Intervals of one contig must not overlap (error naming
both lines). BED contigs are matched to the variant contigs with pexbench.contigs
(`chr22` <-> `22`); BED contigs of other chromosomes are ignored, but a BED none of whose
contigs matches any variant contig is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pexbench.contigs import ContigError, match_contig
from pexbench.errors import InputError
from pexbench.tables import open_text

ENCODE_LABELS = ("CTCF", "E", "PF", "R", "TSS", "T", "WE")
UNASSIGNED = "unassigned"

# Roadmap Epigenomics 15-state ChromHMM -> ENCODE combined labels (approximate; no CTCF state).
ROADMAP_15_STATE: dict[str, str] = {
    "1_TssA": "TSS",
    "2_TssAFlnk": "PF",
    "3_TxFlnk": "PF",
    "4_Tx": "T",
    "5_TxWk": "T",
    "6_EnhG": "E",
    "7_Enh": "E",
    "8_ZNF/Rpts": "R",
    "9_Het": "R",
    "10_TssBiv": "PF",
    "11_BivFlnk": "PF",
    "12_EnhBiv": "WE",
    "13_ReprPC": "R",
    "14_ReprPCWk": "R",
    "15_Quies": "R",
}

BROAD_15_STATE: dict[str, str] = {
    "1_Active_Promoter": "TSS",
    "2_Weak_Promoter": "PF",
    "3_Poised_Promoter": "PF",
    "4_Strong_Enhancer": "E",
    "5_Strong_Enhancer": "E",
    "6_Weak_Enhancer": "WE",
    "7_Weak_Enhancer": "WE",
    "8_Insulator": "CTCF",
    "9_Txn_Transition": "T",
    "10_Txn_Elongation": "T",
    "11_Weak_Txn": "T",
    "12_Repressed": "R",
    "13_Heterochrom/lo": "R",
    "14_Repetitive/CNV": "R",
    "15_Repetitive/CNV": "R",
}
"""Broad ChromHMM 15-state model -> ENCODE combined labels (preset ``broad15``); APPROXIMATE.

For the Broad/ENCODE 2011 segmentations (Ernst et al. 2011; UCSC ``wgEncodeBroadHmm<cell>HMM``,
e.g. the GM12878 file of the bundled demo): 1 -> TSS, 2-3 -> PF, 4-5 -> E, 6-7 -> WE, 8 -> CTCF,
9-11 -> T, 12-15 -> R. The ENCODE combined segmentation (Hoffman et al. 2013) was made from
ChromHMM and Segway together and has no one-to-one correspondence with these states: the map
follows the state names and is approximate, and results that use it should say so. Positions in
no segment (the files have gaps, e.g. GM12878 chr22:16,697,800-16,848,000) are not mapped:
`assign_states` labels them UNASSIGNED and counts them.
"""

STATE_MAP_PRESETS: dict[str, dict[str, str]] = {
    "roadmap15": ROADMAP_15_STATE,
    "broad15": BROAD_15_STATE,
}


def read_states(path: str | Path, *, state_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read a state BED -> DataFrame[chrom, start, end, state, line] (state = ENCODE label,
    line = 1-based line number in the file), sorted by chrom and start.

    Raises InputError on malformed lines, unknown states, or overlapping intervals.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"chromatin state file {path} does not exist")
    chroms: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    names: list[str] = []
    lines: list[int] = []
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 4:
                raise InputError(
                    f"{path}: line {number} has {len(fields)} columns; a state BED needs "
                    "chrom, start, end, name (tab-separated)"
                )
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                raise InputError(
                    f"{path}: line {number}: start/end {fields[1]!r}/{fields[2]!r} are not integers"
                ) from None
            if start < 0 or end <= start:
                raise InputError(
                    f"{path}: line {number}: interval [{start}, {end}) is empty or negative; BED "
                    "is 0-based half-open with end > start"
                )
            chroms.append(fields[0])
            starts.append(start)
            ends.append(end)
            names.append(fields[3])
            lines.append(number)
    mapping = {label: label for label in ENCODE_LABELS} if state_map is None else dict(state_map)
    mapped = []
    for name, number in zip(names, lines, strict=True):
        if name in mapping:
            mapped.append(mapping[name])
        else:
            raise InputError(
                f"{path}: line {number}: state {name!r} has no ENCODE label; map it in the "
                f"config key evaluation.chromatin_state_mapping (e.g. {{{name!r}: 'TSS'}}; "
                f"labels: {', '.join(ENCODE_LABELS)}), or set that key to a preset: 'roadmap15' "
                "(Roadmap 15-state ChromHMM) or 'broad15' (Broad/UCSC wgEncodeBroadHmm 15-state "
                "ChromHMM)"
            )
    table = pd.DataFrame(
        {"chrom": chroms, "start": starts, "end": ends, "state": mapped, "line": lines}
    ).astype({"start": np.int64, "end": np.int64, "line": np.int64})
    table = table.sort_values(["chrom", "start"], kind="mergesort").reset_index(drop=True)
    for chrom, sub in table.groupby("chrom", sort=False):
        s = sub["start"].to_numpy()
        e = sub["end"].to_numpy()
        bad = np.flatnonzero(s[1:] < e[:-1])
        if bad.size:
            i = bad[0]
            a, b = sub["line"].to_numpy()[i], sub["line"].to_numpy()[i + 1]
            raise InputError(
                f"{path}: intervals on lines {a} and {b} overlap on {chrom} "
                f"([{s[i]}, {e[i]}) and [{s[i + 1]}, {e[i + 1]})); a segmentation assigns each "
                f"base one state ({bad.size} overlapping pair(s) on {chrom})"
            )
    return table


def assign_states(
    states: pd.DataFrame, chrom: Sequence[str], pos: Sequence[int], *, source: str = "state BED"
) -> tuple[np.ndarray, dict[str, int]]:
    """State of each 0-based position (vectorised searchsorted per contig).

    Returns (state per position, counts{assigned, unassigned}). Contig names are harmonised
    (`22` <-> `chr22`); if no variant contig matches any BED contig, raises ContigError.
    """
    chrom_arr = np.asarray(chrom, dtype=object)
    pos_arr = np.asarray(pos, dtype=np.int64)
    out = np.full(pos_arr.shape, UNASSIGNED, dtype=object)
    bed_contigs = list(pd.unique(states["chrom"]))
    query_contigs = list(pd.unique(chrom_arr))
    matched: dict[str, str] = {}
    for c in query_contigs:
        try:
            matched[c] = match_contig(str(c), bed_contigs, source="variants", target=source)
        except ContigError:
            continue
    if query_contigs and not matched:
        raise ContigError(
            f"none of the variant contigs {query_contigs[:5]} matches a contig of the {source} "
            f"({bed_contigs[:5]}); is the BED for the same genome build? Rename its contigs."
        )
    for c, bc in matched.items():
        sub = states[states["chrom"] == bc]
        starts = sub["start"].to_numpy(np.int64)
        ends = sub["end"].to_numpy(np.int64)
        labels = sub["state"].to_numpy(dtype=object)
        sel = np.flatnonzero(chrom_arr == c)
        p = pos_arr[sel]
        i = np.searchsorted(starts, p, side="right") - 1
        inside = (
            (i >= 0) & (p < ends[np.clip(i, 0, None)])
            if len(starts)
            else np.zeros(len(p), dtype=bool)
        )
        out[sel[inside]] = labels[i[inside]]
    n_unassigned = int((out == UNASSIGNED).sum())
    return out, {"assigned": int(len(out) - n_unassigned), "unassigned": n_unassigned}


def state_map_from_config(value: str | Mapping[str, str] | None) -> dict[str, str] | None:
    """Config value (evaluation.chromatin_state_mapping) -> state map for read_states.

    None or "encode": None (identity on the ENCODE labels); "roadmap15": ROADMAP_15_STATE;
    "broad15": BROAD_15_STATE (both approximate); a {file state: ENCODE label} mapping: its
    labels are checked and it is added to the identity on the ENCODE labels (a partial mapping
    keeps ENCODE names as they are).
    """
    if value is None or value == "encode":
        return None
    if isinstance(value, str) and value in STATE_MAP_PRESETS:
        return dict(STATE_MAP_PRESETS[value])
    if isinstance(value, str) or not isinstance(value, Mapping):
        raise InputError(
            f"config key evaluation.chromatin_state_mapping = {value!r} is unknown: use "
            "'encode', 'roadmap15', 'broad15', null or a mapping {file state: ENCODE label}"
        )
    bad = {k: v for k, v in value.items() if v not in ENCODE_LABELS}
    if bad:
        raise InputError(
            "config key evaluation.chromatin_state_mapping maps to labels that are not ENCODE "
            f"combined labels: {bad}; use {', '.join(ENCODE_LABELS)}"
        )
    return {**{label: label for label in ENCODE_LABELS}, **dict(value)}


def load_states(
    path: str | Path | None, mapping: str | Mapping[str, str] | None
) -> pd.DataFrame | None:
    """`read_states` of `path` with the config's evaluation.chromatin_state_mapping (see
    `state_map_from_config`); None when there is no state file (`inputs.chromatin_states`)."""
    if path is None:
        return None
    return read_states(path, state_map=state_map_from_config(mapping))
