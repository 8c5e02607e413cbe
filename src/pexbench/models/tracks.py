"""Output tracks of Enformer's human head (`targets_human.txt`, Basenji2 order) and their selection.

A track is chosen by its integer index (row `index` of the file; 5110 = CAGE GM12878) or by a
string matched, in this order, against: the exact `identifier` (e.g. `CNhs12333`), the exact
`description` (e.g. `CAGE:B lymphoblastoid cell line: GM12878 ENCODE, biol_`), then a
case-insensitive substring of the description (e.g. `CAGE:B lymphoblastoid`). A string that
matches several tracks at the first level that matches anything is an error listing them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pexbench.errors import ModelError

N_HUMAN_TRACKS = 5313


@dataclass(frozen=True)
class Track:
    """One selected output track."""

    index: int
    identifier: str
    description: str

    @property
    def label(self) -> str:
        """Unique, readable name used in output tables: `index:description`."""
        return f"{self.index}:{self.description}"


@dataclass(frozen=True)
class TrackTable:
    """The track list of one model head."""

    path: Path
    table: pd.DataFrame  # columns index, identifier, description (index == row position)

    @classmethod
    def read(cls, path: str | Path) -> TrackTable:
        path = Path(path)
        if not path.is_file():
            raise ModelError(
                f"track table {path} does not exist; point `targets` at Enformer's "
                "targets_human.txt (calico/basenji manuscripts/cross2020/targets_human.txt)."
            )
        try:
            table = pd.read_csv(path, sep="\t", dtype={"identifier": str, "description": str})
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise ModelError(f"cannot read track table {path}: {exc}") from exc
        missing = {"index", "identifier", "description"} - set(table.columns)
        if missing:
            raise ModelError(
                f"track table {path} lacks column(s) {sorted(missing)}; expected the tab-separated "
                "targets_human.txt with header `index genome identifier file clip scale sum_stat "
                "description`."
            )
        expected = pd.RangeIndex(len(table))
        if not (table["index"].to_numpy() == expected.to_numpy()).all():
            raise ModelError(
                f"track table {path}: column `index` is not 0..{len(table) - 1} in order; "
                "the row order must be the model head's output order."
            )
        return cls(path, table[["index", "identifier", "description"]].reset_index(drop=True))

    def __len__(self) -> int:
        return len(self.table)

    def track(self, i: int) -> Track:
        row = self.table.iloc[i]
        return Track(int(row["index"]), str(row["identifier"]), str(row["description"]))

    def _listing(self, rows: list[int], limit: int = 12) -> str:
        shown = [
            f"  {self.track(i).index}: {self.track(i).description} ({self.track(i).identifier})"
            for i in rows[:limit]
        ]
        more = f"\n  ... and {len(rows) - limit} more" if len(rows) > limit else ""
        return "\n".join(shown) + more

    def select_one(self, key: int | str, *, where: str = "tracks") -> Track:
        """Resolve one config entry (int index or string) to a Track; ModelError if not unique."""
        n = len(self.table)
        if isinstance(key, bool):
            raise ModelError(f"{where}: {key!r} is not a track; give an int index or a name.")
        if isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit()):
            i = int(key)
            if not 0 <= i < n:
                raise ModelError(
                    f"{where}: track index {i} is out of range; {self.path} has {n} tracks "
                    f"(0..{n - 1})."
                )
            return self.track(i)
        if not isinstance(key, str):
            raise ModelError(f"{where}: {key!r} is not a track; give an int index or a name.")
        ids = self.table["identifier"]
        desc = self.table["description"]
        for matches in (
            list(ids.index[ids == key]),
            list(desc.index[desc == key]),
            list(desc.index[desc.str.lower().str.contains(key.lower(), regex=False)]),
        ):
            if len(matches) == 1:
                return self.track(matches[0])
            if len(matches) > 1:
                raise ModelError(
                    f"{where}: track name {key!r} is ambiguous in {self.path}: it matches "
                    f"{len(matches)} tracks:\n{self._listing(matches)}\n"
                    "Give the integer index or the identifier (third column) instead."
                )
        close = difflib.get_close_matches(key, list(desc) + list(ids), n=8, cutoff=0.5)
        rows = sorted({int(i) for c in close for i in self.table.index[(desc == c) | (ids == c)]})
        hint = (
            f" Close matches:\n{self._listing(rows)}"
            if rows
            else " No close matches; search the description column of the file."
        )
        raise ModelError(f"{where}: unknown track {key!r} in {self.path}.{hint}")

    def select(self, keys: list[int | str], *, where: str = "tracks") -> list[Track]:
        """Resolve a list of config entries; duplicates are an error (outputs would collide)."""
        if not keys:
            raise ModelError(f"{where}: no tracks requested; give at least one, e.g. [5110].")
        out = [self.select_one(k, where=f"{where}[{j}]") for j, k in enumerate(keys)]
        seen: dict[int, int] = {}
        for j, t in enumerate(out):
            if t.index in seen:
                raise ModelError(
                    f"{where}: entries {seen[t.index]} and {j} both select track {t.label}; "
                    "list each track once."
                )
            seen[t.index] = j
        return out
