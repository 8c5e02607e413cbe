"""DNA <-> uint8 codes (A=0, C=1, G=2, T=3, N=4), the one encoding used everywhere."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ALPHABET = "ACGTN"
N_CODE = 4
Codes = npt.NDArray[np.uint8]

_ENCODE = np.full(256, N_CODE, dtype=np.uint8)
for _i, _base in enumerate("ACGT"):
    _ENCODE[ord(_base)] = _i
    _ENCODE[ord(_base.lower())] = _i
_DECODE = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
_COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)


def encode(seq: str | bytes) -> Codes:
    """Encode a sequence; any base other than ACGT (either case) becomes N."""
    raw = seq.encode("ascii") if isinstance(seq, str) else seq
    return _ENCODE[np.frombuffer(raw, dtype=np.uint8)]


def decode(codes: npt.ArrayLike) -> str:
    """Decode codes back to an upper-case string."""
    return _DECODE[np.asarray(codes, dtype=np.uint8)].tobytes().decode("ascii")


def reverse_complement(codes: Codes) -> Codes:
    """Reverse complement along the last axis (N stays N)."""
    return _COMPLEMENT[codes[..., ::-1]]


def one_hot(codes: Codes) -> npt.NDArray[np.float32]:
    """(..., L) codes -> (..., L, 4) float32 one-hot; N is all zeros."""
    eye = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])
    return eye[codes]
