"""What every workflow job does around its one library call: log to the rule's log file, and on
failure print the one-line cause where the user looks (the terminal running Snakemake).

A rule's script starts with `log = start_logging(snakemake.log[0])`. From then on logging (the
library's included) and stderr go to the log file; an uncaught exception is written there with
its traceback and, as one line naming the log, to the job's original stderr, which Snakemake
shows in its own output next to "Error in rule ...".
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from types import TracebackType

FAILURE_PREFIX = "pexbench error:"


def one_line(exc: BaseException) -> str:
    """The cause of a failure as one line: the exception's message, or its type when empty."""
    text = " ".join(str(exc).split())
    if isinstance(exc, SystemExit) and isinstance(exc.code, str):
        text = " ".join(exc.code.split())
    return text or type(exc).__name__


def _report_failure(terminal, log_path: str):  # type: ignore[no-untyped-def]
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        logging.getLogger("pexbench.workflow").error(
            "".join(traceback.format_exception(kind, exc, tb)).rstrip()
        )
        terminal.write(f"{FAILURE_PREFIX} {one_line(exc)} (log: {log_path})\n")
        terminal.flush()

    return hook


def start_logging(log_path: str) -> logging.Logger:
    """Send logging (pexbench's included), warnings and stderr to the rule's log file; report an
    uncaught exception's one-line cause on the original stderr."""
    handler = logging.FileHandler(log_path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    logging.captureWarnings(True)
    terminal = sys.__stderr__ or sys.stderr
    sys.stderr = open(log_path, "a", buffering=1)
    sys.excepthook = _report_failure(terminal, log_path)
    return logging.getLogger("pexbench.workflow")


def export_library_path(src: str) -> None:
    """Put `src` (the checkout's library) first on PYTHONPATH, which Snakemake passes on to every
    job: jobs then run this checkout's code whatever environment they run in."""
    current = os.environ.get("PYTHONPATH")
    parts = [src, *(p for p in (current or "").split(os.pathsep) if p and p != src)]
    os.environ["PYTHONPATH"] = os.pathsep.join(parts)
