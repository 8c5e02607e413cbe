"""Xpresso (Agarwal & Shendure 2020, Cell Reports 31:107663) with trained Keras weights, in torch.

The trained model is a Keras 2.0.5 HDF5 file (e.g. `xpresso_GM12878.h5` = ni-lab/
personalized-expression-benchmark `xpresso/xpresso/pretrained_models/
GM12878_trainepoch.06-0.5062.h5`, the model Huang et al. 2023 used), read without TensorFlow
by pexbench.models.xpresso_keras and run by pexbench.models.xpresso_net. The GM12878 file holds:
Conv1D(128, k=6, same, relu) -> MaxPool(30) -> Conv1D(32, k=9, same, relu) -> MaxPool(10) ->
Flatten (35 x 32 = 1,120) -> concat halflife (6) -> Dense(64) -> relu -> Dropout -> Dense(2)
-> relu -> Dropout -> Dense(1). One-hot A, C, G, T in that column order; N (any other base) is
all zeros (xpresso_predict.py `one_hot`: `seqindex` lookup, unknown bases left at 0).

Input geometry (the gene's strand, 10,500 bp, TSS = the 7,000th base, 0-based index 6,999):
- Huang et al. 2023, ni-lab/personalized-expression-benchmark
  `xpresso/consensus_job_submitter.py`: `upstream = args.upstream - 1`; + strand
  `start, end = tss - upstream, tss + downstream`, - strand `start, end = tss - downstream,
  tss + upstream`; `xpresso/process_consensus_region.py` cuts `samtools faidx chrN:start-end`
  (1-based, inclusive) and reverse-complements minus-strand genes (`samtools faidx -i`,
  `seqtk seq -r`). TSS values in `data/gene_list.csv` are 1-based (GENCODE gene start on +,
  gene end on -; checked against GENCODE v19 on chr22). With upstream = 7,000 and downstream
  = 3,500 (the only split giving the 10,500 bp that `xpresso_predict.py` demands and the
  7,000/3,500 split of the Xpresso documentation), the window is, with `tss` 0-based:
  + strand: genome [tss - 6,999, tss + 3,501); - strand: reverse complement of genome
  [tss - 3,500, tss + 7,000). Either way 6,999 bases upstream of the TSS, the TSS at index
  6,999 and 3,500 bases downstream of it. (The script's -U/-D values are not in the
  repository; the 7,000/3,500 split is from the Xpresso documentation, xpresso.gs.washington.edu
  /docs: "7,000nt upstream of the TSS and 3,500nt downstream ... TSS ... positioned 7,000nt into
  the sequence", i.e. 1-based position 7,000 = index 6,999.)
- Xpresso's own training data agree for + strand genes: vagarwal87/Xpresso
  `Fig1_S2/extract_promoters.pl` writes BED [TSS1 - 10,000, TSS1 + 10,000) around the 1-based
  TSS, so the TSS is at index 9,999 of the 20 kb `bedtools getfasta -s` sequence, and the
  10,500-bp crop starts at 3,000 (`Fig5_S5/predict_seqs.py`: `tsspos = 7000`, sequences are
  centred on 7,000 in a 10,500 frame) -> TSS at index 6,999. (For minus-strand genes that BED
  puts the TSS at index 7,000 of the crop: Xpresso's training itself mixes the two by one base.)
- Kipoi's Xpresso uses `AnchoredGTFDl(num_upstream=7000, num_downstream=3500)`, i.e. 7,000
  bases upstream and the TSS at index 7,000: one base off from Huang et al.; the `tss_index`
  option (default 6,999) selects either.

Half-life features: 6 per gene (the `halflife` input). Xpresso standardised them to zero mean
and unit variance over its training genes (`Fig2/setup_training_files.py`:
`preprocessing.scale`), so zeros mean "average mRNA". Huang et al. ran
`xpresso_predict.py` (vagarwal87/Xpresso), which feeds `np.zeros((bs, 6), dtype='float32')`
for every gene, as does Kipoi's Xpresso ("treat RNA as having average mRNA features"). This
port does the same: zeros for every sequence. They are constant across individuals anyway.

Output: one value per sequence, track `xpresso_expression`, one bin: Xpresso's prediction of
the standardised log10(RPKM + 0.1) expression (the training label, `setup_training_files.py`),
shape (batch, 1, 1) float32.

Sequence handed over by the workflow: `info.sequence_length` bp of the genome's + strand with
the TSS at `sequence_length // 2` (14,000 bp, TSS at 7,000, for the default `tss_index`).
`predict` cuts the 10,500-bp gene-strand window from it (`gene_strand_window`, offsets from
pexbench.models.facts) and reverse-complements minus-strand genes, exactly as above.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from pexbench.encoding import N_CODE, reverse_complement
from pexbench.errors import ModelError
from pexbench.models.base import ModelInfo
from pexbench.models.facts import XPRESSO_INPUT_LENGTH as INPUT_LENGTH
from pexbench.models.facts import XPRESSO_TSS_INDEX as DEFAULT_TSS_INDEX
from pexbench.models.facts import xpresso_input_span, xpresso_tss_index
from pexbench.models.facts import xpresso_minimum_length as minimum_sequence_length
from pexbench.models.facts import xpresso_window_offsets as window_offsets
from pexbench.models.xpresso_keras import read_keras_weights
from pexbench.models.xpresso_net import XpressoNet, check_shapes

__all__ = [
    "CPU_CHUNK_ROWS",
    "DEFAULT_TSS_INDEX",
    "INPUT_LENGTH",
    "TRACK_NAME",
    "XpressoModel",
    "minimum_sequence_length",
    "window_offsets",
]

TRACK_NAME = "xpresso_expression"
CPU_CHUNK_ROWS = 3_000  # output positions per matrix product on CPU (cache-sized blocks)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class XpressoModel:
    """Xpresso behind the `SequenceModel` interface (see the module docstring for geometry).

    Config keys (`models:` entry with `type: xpresso`):

    | key | type | default | meaning |
    |---|---|---|---|
    | name | str | xpresso | model name in outputs |
    | weights | path | required | Keras HDF5 file, relative to the workflow root |
    | device | str | cpu | cpu, cuda, cuda:N, or auto (cuda when visible) |
    | batch_size | int or auto | auto | sequences per forward; auto = 64 on CPU, 512 on CUDA |
    | tss_index | int | 6999 | 0-based TSS index in the 10,500-bp input (7000 = Kipoi) |
    | sequence_length | int | 14000 | + strand input length (>= the minimum for tss_index) |
    """

    def __init__(
        self,
        weights: str | Path,
        *,
        name: str = "xpresso",
        batch_size: int | None = None,
        device: str = "cpu",
        tss_index: int = DEFAULT_TSS_INDEX,
        sequence_length: int | None = None,
        where: str = "models[?]",
    ) -> None:
        path = Path(weights)
        xpresso_tss_index(tss_index, where=where)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if batch_size is None:
            batch_size = 512 if device.startswith("cuda") else 64
        if batch_size < 1:
            raise ModelError(f"model {name!r}: batch_size must be >= 1, got {batch_size}")
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelError(
                f"model {name!r}: device {device!r} requested but no CUDA device is visible; "
                "set `device: cpu` or run on a GPU node."
            )
        chain, weights_np, n_halflife = read_keras_weights(path)
        net = XpressoNet(chain, weights_np)
        check_shapes(path, net, n_halflife)
        self.net = net.to(device).eval()
        self.device = torch.device(device)
        self.net.set_chunking(CPU_CHUNK_ROWS if self.device.type == "cpu" else None)
        self.batch_size = batch_size
        self.tss_index = tss_index
        self.n_halflife = n_halflife
        self.sequence_length = sequence_length or minimum_sequence_length(tss_index)
        self._plus_start, self._minus_start = window_offsets(self.sequence_length, tss_index)
        self._eye = torch.cat([torch.eye(4), torch.zeros(1, 4)]).to(self.device)
        self.info = ModelInfo(
            name=name,
            kind="xpresso",
            weights=str(path),
            sequence_length=self.sequence_length,
            track_names=(TRACK_NAME,),
            is_trained=True,
            extra={
                "weights_sha256": _sha256(path),
                "input": f"{INPUT_LENGTH} bp of the gene's strand, TSS at index {tss_index}",
                "halflife": f"{n_halflife} zeros (standardised features: the training mean)",
                "output": "standardised log10(RPKM + 0.1) (Xpresso training label)",
                "device": str(self.device),
                "precision": "fp32",
                "precision_reason": "Xpresso ignores `precision`: float32 weights and inputs"
                + (
                    "; cuDNN may run its convolutions in TF32 (PyTorch's default)"
                    if self.device.type == "cuda"
                    else ""
                ),
                "batch_size": str(batch_size),
            },
        )

    @classmethod
    def from_spec(
        cls, spec: dict[str, Any], root: Path, *, where: str = "models[?]"
    ) -> XpressoModel:
        """Build from one `models:` entry (keys in the table of the class docstring).

        Generic keys that do not apply to Xpresso (tracks, tss_bins, bin_reduce, precision,
        seed, ...) are ignored: it has one output and always runs in float32.
        """
        name = str(spec.get("name", "xpresso"))
        if not spec.get("weights"):
            raise ModelError(
                f"model {name!r} (type: xpresso) has no `weights`; set `models[].weights` to the "
                "Xpresso Keras HDF5 file (e.g. resources/models/xpresso_GM12878.h5)."
            )
        weights = Path(str(spec["weights"])).expanduser()
        if not weights.is_absolute():
            weights = Path(root) / weights
        device = str(spec.get("device") or "cpu")
        batch = spec.get("batch_size")
        length = spec.get("sequence_length")
        try:
            return cls(
                weights,
                name=name,
                batch_size=None if batch in (None, "auto") else int(batch),
                device=device,
                tss_index=int(spec.get("tss_index", DEFAULT_TSS_INDEX)),
                sequence_length=None if length is None else int(length),
                where=where,
            )
        except (TypeError, ValueError) as exc:
            raise ModelError(
                f"model {name!r} (type: xpresso): batch_size, tss_index and sequence_length must "
                f"be integers ({exc})."
            ) from exc

    def input_span(self, strand: str) -> tuple[int, int]:
        """Genome offsets [lo, hi) from the TSS that the model reads for a gene on `strand`."""
        return xpresso_input_span(self.sequence_length, self.tss_index, strand)

    def gene_strand_window(
        self, codes: npt.NDArray[np.uint8], minus_strand: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.uint8]:
        """(B, sequence_length) + strand codes -> (B, 10,500) codes on each gene's strand."""
        codes = np.asarray(codes)
        minus = np.asarray(minus_strand, dtype=bool).reshape(-1)
        if codes.ndim != 2 or codes.shape[1] != self.sequence_length:
            raise ModelError(
                f"model {self.info.name!r}: expected codes of shape (batch, "
                f"{self.sequence_length}), got {codes.shape}"
            )
        if minus.shape[0] != codes.shape[0]:
            raise ModelError(
                f"model {self.info.name!r}: {codes.shape[0]} sequences but "
                f"{minus.shape[0]} strand flags"
            )
        if codes.dtype != np.uint8 or (codes.size and codes.max() > N_CODE):
            raise ModelError(
                f"model {self.info.name!r}: codes must be uint8 in 0..4 (pexbench.encoding)"
            )
        out = codes[:, self._plus_start : self._plus_start + INPUT_LENGTH].copy()
        if minus.any():
            block = codes[minus, self._minus_start : self._minus_start + INPUT_LENGTH]
            out[minus] = reverse_complement(block)
        return out

    def predict(
        self, codes: npt.NDArray[np.uint8], minus_strand: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float32]:
        """(B, sequence_length) uint8 + strand codes -> (B, 1, 1) float32 predictions."""
        window = self.gene_strand_window(codes, minus_strand)
        out = np.empty(window.shape[0], dtype=np.float32)
        with torch.inference_mode():
            for lo in range(0, window.shape[0], self.batch_size):
                batch = torch.from_numpy(window[lo : lo + self.batch_size]).to(self.device)
                onehot = self._eye[batch.long()]
                halflife = torch.zeros(batch.shape[0], self.n_halflife, device=self.device)
                out[lo : lo + batch.shape[0]] = self.net(onehot, halflife).float().cpu().numpy()
        return out[:, None, None]
