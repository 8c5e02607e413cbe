"""summary.json as tables a reader reads: the report's landing table and the summary's HTML view.

`headline_table` gives one row per model (genes evaluated, median r with its bootstrap 95%
interval, significant positive / negative genes at the FDR level, fraction negative, variant sign
concordance with its Wilson 95% interval, weights and whether they are trained); `landing_html`
renders it as the HTML fragment that the report's workflow description (workflow/report/
workflow.rst) embeds on the landing page; `summary_html` renders the whole summary as tables (per
model, concordance by chromatin state, sign classes by the lead eQTL's state, run counts).
Every number comes from summary.json; cells carry the exact value in ``data-value`` so a test
can compare the page with the file.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pexbench.errors import InputError
from pexbench.models.facts import BASELINE_MODEL, is_trained
from pexbench.palette import model_order
from pexbench.report import input_flag_line
from pexbench.tables import atomic_path

__all__ = [
    "HEADLINE_COLUMNS",
    "LANDING_CSS",
    "headline_table",
    "landing_html",
    "summary_html",
    "write_landing",
    "write_summary_view",
]

#: Columns of `headline_table`, in the order the landing page shows them.
HEADLINE_COLUMNS = (
    "model",
    "weights",
    "trained",
    "genes_evaluated",
    "median_r",
    "median_r_ci_low",
    "median_r_ci_high",
    "significant_positive",
    "significant_negative",
    "fraction_significant_negative",
    "variants_decided",
    "fraction_concordant",
    "concordance_ci_low",
    "concordance_ci_high",
)

#: Widens the landing text (Snakemake's report shows it in a narrow column beside the rule graph)
#: and puts the rule graph below it; plain CSS, no network.
LANDING_CSS = (
    ".prose.max-w-lg{max-width:72rem!important;}"
    "div.grow.flex.gap-3.p-3.items-start{flex-direction:column;min-width:0;}"
    "div.grow.flex.items-center.justify-center.h-screen{align-items:flex-start;"
    "justify-content:flex-start;}"
    "table.pexbench-headline{border-collapse:collapse;font-size:13px;margin:0.5em 0;width:100%;}"
    "table.pexbench-headline th,table.pexbench-headline td{border:1px solid #ccc;"
    "padding:3px 6px;text-align:right;}"
    "table.pexbench-headline th{background:#eee;}"
    "table.pexbench-headline td:first-child,table.pexbench-headline td:nth-child(2),"
    "table.pexbench-headline td:nth-child(3){text-align:left;}"
    "table.pexbench-headline tr.untrained td{background:#fdecea;}"
    "p.pexbench-flag{color:#b2182b;font-weight:bold;}"
)


def _pair(value: object) -> tuple[float, float]:
    if isinstance(value, list | tuple) and len(value) == 2 and None not in value:
        return (float(value[0]), float(value[1]))
    return (math.nan, math.nan)


def _num(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]


def headline_table(
    summary: Mapping[str, Any],
    models: Sequence[Mapping[str, Any]],
    *,
    correlation: str = "pearson",
) -> pd.DataFrame:
    """One row per model of `summary["models"]` (configured order, then the baseline, then any
    other), columns `HEADLINE_COLUMNS`; `correlation` picks the median's method."""
    per_model = summary.get("models")
    if not isinstance(per_model, Mapping):
        raise InputError(
            "summary.json has no 'models' section; pass the file written by rule summary"
        )
    specs = {str(m["name"]): (i, m) for i, m in enumerate(models)}
    names = [n for n in model_order(models, True) if n in per_model]
    names += sorted(n for n in per_model if n not in names)
    rows = []
    for name in names:
        entry = per_model[name]
        if name in specs:
            i, spec = specs[name]
            weights = str(spec.get("weights"))
            trained = "yes" if is_trained(spec, where=f"models[{i}]") else "NO: random weights"
        elif name == BASELINE_MODEL:
            weights, trained = "none (elastic net on cis genotypes)", "fitted, out-of-fold"
        else:
            weights, trained = "unknown (not in config models)", "unknown"
        lo, hi = _pair(entry.get(f"median_{correlation}_r_ci95"))
        conc = entry.get("concordance") or {}
        c_lo, c_hi = _pair(conc.get("fraction_concordant_ci95"))
        rows.append(
            {
                "model": name,
                "weights": weights,
                "trained": trained,
                "genes_evaluated": int(entry.get("genes_evaluated", 0)),
                "median_r": _num(entry.get(f"median_{correlation}_r")),
                "median_r_ci_low": lo,
                "median_r_ci_high": hi,
                "significant_positive": int(entry.get("significant_positive", 0)),
                "significant_negative": int(entry.get("significant_negative", 0)),
                "fraction_significant_negative": _num(entry.get("fraction_significant_negative")),
                "variants_decided": int(conc.get("concordant", 0)) + int(conc.get("discordant", 0)),
                "fraction_concordant": _num(conc.get("fraction_concordant")),
                "concordance_ci_low": c_lo,
                "concordance_ci_high": c_hi,
            }
        )
    return pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS))


def _fmt(x: float, spec: str = "+.3f") -> str:
    return "n/a" if not math.isfinite(x) else format(x, spec)


def _cell(text: str, value: object = None) -> str:
    attr = "" if value is None else f' data-value="{html.escape(json.dumps(value))}"'
    return f"<td{attr}>{html.escape(text)}</td>"


def _json_value(x: float) -> float | None:
    return None if not math.isfinite(x) else x


def landing_html(
    table: pd.DataFrame, *, fdr: float, correlation: str, input_flags: Sequence[str] = ()
) -> str:
    """The landing fragment: a style element, the headline table and notes under it; a run on
    non-real inputs (`input_flags`, `pexbench.report.input_flags`) is flagged above the table."""
    head = (
        "<th>model</th><th>weights</th><th>trained</th><th>genes evaluated</th>"
        f"<th>median {html.escape(correlation)} r [95% CI]</th>"
        f"<th>significant + / − (FDR ≤ {fdr:g})</th><th>fraction negative</th>"
        "<th>variant sign concordance [95% CI] (n)</th>"
    )
    body = []
    for row in table.itertuples(index=False):
        untrained = str(row.trained).startswith("NO")
        cls = ' class="untrained"' if untrained else ""
        cells = [
            _cell(str(row.model) + (" [NOT A RESULT]" if untrained else ""), row.model),
            _cell(str(row.weights)),
            _cell(str(row.trained)),
            _cell(str(row.genes_evaluated), int(row.genes_evaluated)),
            _cell(
                f"{_fmt(row.median_r)} [{_fmt(row.median_r_ci_low)}, {_fmt(row.median_r_ci_high)}]",
                [
                    _json_value(row.median_r),
                    _json_value(row.median_r_ci_low),
                    _json_value(row.median_r_ci_high),
                ],
            ),
            _cell(
                f"{row.significant_positive} / {row.significant_negative}",
                [int(row.significant_positive), int(row.significant_negative)],
            ),
            _cell(
                _fmt(row.fraction_significant_negative, ".2f"),
                _json_value(row.fraction_significant_negative),
            ),
            _cell(
                f"{_fmt(row.fraction_concordant, '.2f')} [{_fmt(row.concordance_ci_low, '.2f')}, "
                f"{_fmt(row.concordance_ci_high, '.2f')}] ({row.variants_decided})"
                if row.variants_decided
                else "no variant effects",
                [_json_value(row.fraction_concordant), int(row.variants_decided)],
            ),
        ]
        body.append(f'<tr data-model="{html.escape(str(row.model))}"{cls}>{"".join(cells)}</tr>')
    flags = [
        f'<p class="pexbench-flag">{html.escape(str(m))}: random weights, NOT A RESULT; its '
        "row exercises the workflow only.</p>"
        for m, t in zip(table["model"], table["trained"], strict=True)
        if str(t).startswith("NO")
    ]
    notes = (
        "<p>Median over evaluated genes of the per-gene correlation across individuals, with a "
        "percentile bootstrap 95% interval (genes resampled, seeded). Significant: BH FDR within "
        "model. Fraction negative: significant negative / all significant. Concordance: variants "
        "whose predicted single-variant effect has the sign of the in-sample eQTL effect, among "
        "those with a non-zero prediction (n), with the Wilson 95% interval.</p>"
    )
    caption = (
        f'<p class="pexbench-flag">{html.escape(input_flag_line(input_flags))}</p>'
        if input_flags
        else ""
    )
    return (
        f"<style>{LANDING_CSS}</style>{caption}"
        f'<table class="pexbench-headline"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{''.join(flags)}{notes}\n"
    )


def write_landing(
    summary_path: str | Path,
    out: str | Path,
    *,
    models: Sequence[Mapping[str, Any]],
    fdr: float,
    correlation: str,
    input_flags: Sequence[str] = (),
) -> pd.DataFrame:
    """Write the landing fragment of `summary_path` to `out` (`landing_html`); return the
    headline table."""
    with open(summary_path, encoding="utf-8") as fh:
        summary = json.load(fh)
    table = headline_table(summary, models, correlation=correlation)
    with atomic_path(out) as tmp:
        text = landing_html(table, fdr=fdr, correlation=correlation, input_flags=input_flags)
        tmp.write_text(text, encoding="utf-8")
    return table


def _html_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    trs = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_text(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def _text(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return _fmt(value, ".4g")
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def _flatten(obj: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(obj, Mapping):
        out: list[tuple[str, object]] = []
        for k, v in obj.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [(prefix, obj)]


def summary_html(summary: Mapping[str, Any], *, title: str, input_flags: Sequence[str] = ()) -> str:
    """The whole summary as HTML tables: per-model results, concordance by chromatin state,
    sign classes by the state of the lead eQTL, run counts, settings; a run on non-real inputs
    (`input_flags`) is flagged under the title."""
    models = summary.get("models", {})
    scalar_keys = sorted(
        {k for e in models.values() for k, v in e.items() if not isinstance(v, Mapping)}
    )
    parts = [f"<h2>{html.escape(title)}</h2>"]
    if input_flags:
        flag = html.escape(input_flag_line(input_flags))
        parts.append(f"<p style='color:#b2182b;font-weight:bold'>{flag}</p>")
    parts.append("<h3>Per model</h3>")
    parts.append(
        _html_table(
            ["model", *scalar_keys],
            [[m, *(e.get(k) for k in scalar_keys)] for m, e in models.items()],
        )
    )
    conc_rows = [
        [
            m,
            state,
            c.get("concordant"),
            c.get("discordant"),
            c.get("tie"),
            c.get("outside_model_input"),
            c.get("fraction_concordant"),
            c.get("fraction_concordant_ci95"),
        ]
        for m, e in models.items()
        for state, c in {
            "all": e.get("concordance") or {},
            **(e.get("concordance_by_state") or {}),
        }.items()
    ]
    parts.append("<h3>Variant sign concordance by chromatin state</h3>")
    parts.append(
        _html_table(
            [
                "model",
                "state",
                "concordant",
                "discordant",
                "tie",
                "outside model input",
                "fraction concordant",
                "Wilson 95% CI",
            ],
            conc_rows,
        )
    )
    sign_rows = [
        [m, state, cls, n]
        for m, e in models.items()
        for state, classes in (e.get("sign_classes_by_lead_eqtl_state") or {}).items()
        for cls, n in classes.items()
    ]
    parts.append("<h3>Gene sign classes by the chromatin state of the lead eQTL</h3>")
    parts.append(_html_table(["model", "lead eQTL state", "sign class", "genes"], sign_rows))
    for section in ("run", "bootstrap", "settings"):
        if section in summary:
            parts.append(f"<h3>{section}</h3>")
            parts.append(_html_table(["key", "value"], _flatten(summary[section])))
    css = (
        "body{font-family:sans-serif;font-size:13px;margin:1em;}table{border-collapse:collapse;"
        "margin-bottom:1em;}th,td{border:1px solid #ccc;padding:2px 6px;text-align:right;}"
        "th{background:#eee;}td:first-child,th:first-child{text-align:left;}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{css}</style></head><body>"
        + "".join(parts)
        + "</body></html>\n"
    )


def write_summary_view(
    source: str | Path, copy: str | Path, view: str | Path, *, input_flags: Sequence[str] = ()
) -> None:
    """Copy summary.json `source` to `copy` (the complete report item) and write its
    `summary_html` view (flagged with `input_flags`) to `view`."""
    with open(source, encoding="utf-8") as fh:
        text = fh.read()
    summary = json.loads(text)
    with atomic_path(copy) as tmp:
        tmp.write_text(text, encoding="utf-8")
    with atomic_path(view) as tmp:
        text = summary_html(summary, title=str(source), input_flags=input_flags)
        tmp.write_text(text, encoding="utf-8")
