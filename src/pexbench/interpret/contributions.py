"""Gradient x input of the TSS readout, and first-order vs exact (ISM) variant effects.

Scale: everything here explains the number `TssReadout` computes (pexbench.interpret.readout):
by default the raw model output at the TSS bins, reduced over bins as `predict` does (mean or
sum) and averaged over the model's tracks; `ReadoutSpec(scale="log1p")` explains log1p of it
instead, matching `evaluate.variant_effects` with `log1p: true` (f(alt) - f(ref), f = log1p).

- `contributions`: one backward pass at a sequence (Sasse et al. 2023 use the reference):
  gradient (L, 4) of the readout with respect to the + strand one-hot input, and
  gradient x input (L,) = gradient[i, base at i] (0 at N). Minus-strand Xpresso genes are
  reverse-complemented inside the readout, so the gradient is already in + strand coordinates
  and bases.
- `variant_effects`: for each SNV ref -> alt at i, the first-order effect
  gradient[i, alt] - gradient[i, ref] from that single backward pass, next to the exact ISM effect
  readout(alt sequence) - readout(reference) through the model's own `predict`. Anything else
  (indels, multi-base substitutions) gets the exact ISM effect only (`n_indels_ism_only`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import torch

from pexbench.encoding import N_CODE, encode
from pexbench.errors import InputError
from pexbench.interpret.readout import InterpretableModel, ReadoutSpec, TssReadout
from pexbench.stats import require_columns

SNV = "snv"
INDEL = "indel"  # any non-SNV: insertions, deletions, multi-base substitutions
OUTSIDE = "outside sequence"
EFFECT_COLUMNS = ["variant_id", "pos", "index", "ref", "alt", "kind", "first_order", "ism"]

AltBuilder = Callable[[pd.Series], npt.NDArray[np.uint8]]


@dataclass(frozen=True)
class Contribution:
    """One backward pass of the readout at `codes` (L,)."""

    codes: npt.NDArray[np.uint8]
    value: float
    gradient: npt.NDArray[np.float32]  # (L, 4), columns A C G T, + strand
    grad_x_input: npt.NDArray[np.float32]  # (L,)
    spec: ReadoutSpec

    def snv_map(self) -> npt.NDArray[np.float32]:
        """(L, 4) first-order effect of every possible substitution (0 for the base itself;
        at N, the effect of inserting that base into the all-zero column)."""
        at_ref = self.gradient[np.arange(len(self.codes)), np.minimum(self.codes, 3)]
        at_ref[self.codes == N_CODE] = 0.0
        return self.gradient - at_ref[:, None]


def contributions(
    model: InterpretableModel, codes: npt.NDArray[np.uint8], spec: ReadoutSpec | None = None
) -> Contribution:
    """Gradient and gradient x input of the readout at one (L,) uint8 sequence (+ strand, TSS at
    L // 2). `spec` chooses strand (Xpresso), bin reduction, scale and track(s)."""
    readout = TssReadout(model, spec)
    codes = np.asarray(codes, dtype=np.uint8)
    if codes.ndim != 1:
        raise InputError(f"contributions: expected one sequence of shape (L,), got {codes.shape}.")
    with torch.inference_mode(False), torch.enable_grad():  # callers may be in inference mode
        x = readout.onehot(codes[None]).requires_grad_(True)
        y = readout(x)
        (grad,) = torch.autograd.grad(y.sum(), x)
    gradient = grad[0].detach().float().cpu().numpy()
    onehot = x[0].detach().cpu().numpy()
    return Contribution(
        codes=codes,
        value=float(y.detach()[0]),
        gradient=gradient,
        grad_x_input=(gradient * onehot).sum(axis=1),
        spec=readout.spec,
    )


def _classify(variants: pd.DataFrame, codes: npt.NDArray[np.uint8], start: int) -> pd.DataFrame:
    """Add `index` and `kind`; check REF against the sequence (names the first mismatch)."""
    require_columns(variants, ["variant_id", "pos", "ref", "alt"], "variant table")
    table = variants.reset_index(drop=True).copy()
    index = table["pos"].to_numpy(np.int64) - start
    ref = table["ref"].astype(str).str.upper()
    alt = table["alt"].astype(str).str.upper()
    ref_len = ref.str.len().to_numpy()
    bases = list("ACGT")
    snv = (ref_len == 1) & (alt.str.len() == 1) & ref.isin(bases) & alt.isin(bases)
    inside = (index >= 0) & (index + ref_len <= len(codes))
    mismatch = np.zeros(len(table), dtype=bool)
    one = np.flatnonzero(inside & (ref_len == 1))
    mismatch[one] = codes[index[one]] != encode("".join(ref.iloc[one]))
    for row in np.flatnonzero(inside & (ref_len != 1)):
        i = index[row]
        mismatch[row] = not np.array_equal(codes[i : i + ref_len[row]], encode(ref.iat[row]))
    if mismatch.any():
        row = int(np.flatnonzero(mismatch)[0])
        raise InputError(
            f"variant {table.at[row, 'variant_id']!r} at {table.at[row, 'pos']}: REF "
            f"{ref.iat[row]!r} does not match the sequence there ({int(mismatch.sum())} such "
            "variants); pass `sequence_start` = the genome position of codes[0] (tss - L // 2) "
            "and the sequence the gradient was taken at."
        )
    table["index"] = index
    table["kind"] = np.where(~inside, OUTSIDE, np.where(snv, SNV, INDEL))
    return table


def _substitution_only(row: pd.Series) -> npt.NDArray[np.uint8]:
    raise InputError(f"variant {row['variant_id']!r}: no `build_alt` for a non-SNV.")


def variant_effects(
    model: InterpretableModel,
    contribution: Contribution,
    variants: pd.DataFrame,
    *,
    sequence_start: int,
    build_alt: AltBuilder | None = None,
    batch_size: int = 8,
) -> pd.DataFrame:
    """First-order (SNVs) and exact ISM effects of single variants on `contribution.codes`.

    variants: DataFrame[variant_id, pos, ref, alt] (pos 0-based on the genome, alleles on the +
    strand); sequence_start: genome position of codes[0]. SNV alt sequences are made here;
    any other variant needs `build_alt(row) -> (L,) codes` (e.g. the workflow's anchored
    haplotype builder with that allele alone) and raises InputError without it. Variants not
    fully inside the sequence get kind "outside sequence" and NaN effects.
    Returns DataFrame[EFFECT_COLUMNS]; attrs["counts"] = {n_snv, n_indels_ism_only, n_outside}.
    """
    codes = contribution.codes
    table = _classify(variants, codes, sequence_start)
    kind = table["kind"].to_numpy()
    index = table["index"].to_numpy(np.int64)
    snv = kind == SNV
    alt_code = np.zeros(len(table), dtype=np.uint8)
    alt_code[snv] = encode("".join(table["alt"].astype(str).str.upper()[snv]))
    if build_alt is None and (kind == INDEL).any():
        row = int(np.flatnonzero(kind == INDEL)[0])
        raise InputError(
            f"variant {table.at[row, 'variant_id']!r} is not an SNV: its exact effect needs "
            f"`build_alt` (variant row -> alt sequence of the model's length); "
            f"{int((kind == INDEL).sum())} such variants."
        )
    build = build_alt or _substitution_only
    first = np.full(len(table), np.nan)
    grad = contribution.gradient.astype(np.float64)
    first[snv] = grad[index[snv], alt_code[snv]] - grad[index[snv], codes[index[snv]]]

    readout = TssReadout(model, contribution.spec)
    ref_value = readout.predicted(codes[None])[0]
    ism = np.full(len(table), np.nan)
    scored = np.flatnonzero(kind != OUTSIDE)
    for lo in range(0, len(scored), batch_size):  # alt sequences are built one batch at a time
        rows = scored[lo : lo + batch_size]
        batch = np.repeat(codes[None], len(rows), axis=0)
        is_snv = snv[rows]
        batch[np.flatnonzero(is_snv), index[rows[is_snv]]] = alt_code[rows[is_snv]]
        for n in np.flatnonzero(~is_snv):
            batch[n] = np.asarray(build(table.iloc[rows[n]]), dtype=np.uint8)
        ism[rows] = readout.predicted(batch, batch_size=batch_size) - ref_value
    table["first_order"] = first
    table["ism"] = ism
    out = table[EFFECT_COLUMNS]
    out.attrs["counts"] = {
        "n_snv": int(snv.sum()),
        "n_indels_ism_only": int((kind == INDEL).sum()),
        "n_outside": int((kind == OUTSIDE).sum()),
    }
    return out
