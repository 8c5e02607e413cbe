"""Report figures: bit-stable output, and the numbers printed in each figure against hand counts.

Matplotlib's SVG writer keeps every drawn string as a comment (`<!-- text -->`) even when glyphs
are written as paths, so the tests read the annotations back from the file itself.
"""

from __future__ import annotations

import html
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from pexbench import palette, plots, report
from pexbench.errors import InputError


def svg_texts(path: Path) -> list[str]:
    return re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8"))


def png_text_keys(path: Path) -> list[str]:
    """Keywords of the tEXt/iTXt/zTXt chunks of a PNG (parsed by hand)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, keys = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(ctype + body) & 0xFFFFFFFF
        if ctype in (b"tEXt", b"iTXt", b"zTXt"):
            keys.append(body.split(b"\x00", 1)[0].decode("latin-1"))
        pos += 12 + length
    return keys


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    individuals = [f"HG{i:05d}" for i in range(12)]
    genes = [f"ENSG{i:011d}" for i in range(6)]
    measured = pd.DataFrame(
        [(g, ind, float(rng.normal())) for g in genes for ind in individuals],
        columns=["gene_id", "individual", "measured"],
    )
    rows = []
    for model in ("m_a", "m_b"):
        for g in genes:
            for ind in individuals:
                rows.append((model, g, ind, float(rng.normal())))
    predicted = pd.DataFrame(rows, columns=["model", "gene_id", "individual", "predicted"])
    # m_a: gene 0 perfectly correlated, gene 1 perfectly anti-correlated
    m0 = measured[measured.gene_id == genes[0]].set_index("individual")["measured"]
    m1 = measured[measured.gene_id == genes[1]].set_index("individual")["measured"]
    for g, series, sign in ((genes[0], m0, 1.0), (genes[1], m1, -1.0)):
        sel = (predicted.model == "m_a") & (predicted.gene_id == g)
        predicted.loc[sel, "predicted"] = (
            sign * 2.0 * series.loc[predicted.loc[sel, "individual"]].to_numpy() + 1
        )
    corr_rows = []
    for (model, g), sub in predicted.groupby(["model", "gene_id"], sort=False):
        merged = sub.merge(measured, on=["gene_id", "individual"])
        r = float(np.corrcoef(merged.predicted, merged.measured)[0, 1])
        corr_rows.append((model, g, r))
    corr = pd.DataFrame(corr_rows, columns=["model", "gene_id", "pearson_r"])
    corr.loc[(corr.model == "m_b") & (corr.gene_id == genes[5]), "pearson_r"] = np.nan
    corr["sign_class"] = ["significant positive", "significant negative"] + ["not significant"] * (
        len(corr) - 2
    )
    corr.loc[len(corr) - 1, "sign_class"] = "not tested"
    return {"predicted": predicted, "measured": measured, "corr": corr}


def test_output_is_bit_stable_and_dateless(tmp_path: Path, tables: dict[str, pd.DataFrame]) -> None:
    for ext in ("svg", "png", "pdf"):
        a = plots.correlation_distribution(tables["corr"], tmp_path / f"a.{ext}")
        b = plots.correlation_distribution(tables["corr"], tmp_path / f"b.{ext}")
        assert a.read_bytes() == b.read_bytes(), ext
    svg = (tmp_path / "a.svg").read_text()
    assert "<dc:date>" not in svg
    assert "Matplotlib v" not in svg
    assert png_text_keys(tmp_path / "a.png") == []  # no Software / date chunks
    pdf = (tmp_path / "a.pdf").read_bytes()
    assert b"/CreationDate" not in pdf and b"/Producer" not in pdf


def test_style_does_not_leak(tmp_path: Path, tables: dict[str, pd.DataFrame]) -> None:
    import matplotlib

    before = matplotlib.rcParams["svg.hashsalt"]
    plots.sign_classes(tables["corr"], tmp_path / "s.svg")
    assert matplotlib.rcParams["svg.hashsalt"] == before


def test_correlation_distribution_counts(tmp_path: Path, tables: dict[str, pd.DataFrame]) -> None:
    out = plots.correlation_distribution(tables["corr"], tmp_path / "d.svg")
    texts = svg_texts(out)
    corr = tables["corr"]
    for model in ("m_a", "m_b"):
        vals = corr.loc[corr.model == model, "pearson_r"].to_numpy()
        finite = vals[np.isfinite(vals)]
        n_nan = len(vals) - len(finite)
        label = f"n = {len(finite)} genes" + (f" (+{n_nan} without a value)" if n_nan else "")
        assert label in texts
        assert f"median = {np.median(finite):+.3f}" in texts
    assert "n = 5 genes (+1 without a value)" in texts  # m_b, written out by hand


def test_sign_class_counts(tmp_path: Path, tables: dict[str, pd.DataFrame]) -> None:
    out = plots.sign_classes(
        tables["corr"],
        tmp_path / "s.svg",
        order=["significant positive", "significant negative", "not significant", "not tested"],
    )
    texts = svg_texts(out)
    assert "m_a (n=6)" in texts and "m_b (n=6)" in texts
    # m_a: 1 positive, 1 negative, 4 not significant -> the 4 is written in its bar
    # (bars narrower than 6% carry no number); m_b: 5 not significant, 1 not tested
    assert texts.count("4") >= 1 and texts.count("5") >= 1
    legend = ["significant positive", "significant negative", "not significant", "not tested"]
    assert [t for t in texts if t in legend] == legend
    # that order is the default (pexbench.stats.SIGN_CLASSES)
    default = plots.sign_classes(tables["corr"], tmp_path / "s2.svg")
    assert default.read_bytes() == out.read_bytes()


def test_extreme_genes_picks_most_positive_and_negative(
    tmp_path: Path, tables: dict[str, pd.DataFrame]
) -> None:
    corr = tables["corr"].assign(symbol=lambda d: "SYM" + d.gene_id.str[-1])
    out = plots.extreme_gene_scatter(
        corr, tables["predicted"], tables["measured"], tmp_path / "x.svg"
    )
    texts = svg_texts(out)

    def block(title: str, gene: str, r: float, n: int) -> list[str]:
        return [f"pearson_r = {r:+.3f}", f"n = {n} individuals", title, gene]

    def contains(seq: list[str]) -> bool:
        return any(texts[i : i + len(seq)] == seq for i in range(len(texts)))

    assert contains(block("m_a: most positive", "SYM0 (ENSG00000000000)", 1.0, 12))
    assert contains(block("m_a: most negative", "SYM1 (ENSG00000000001)", -1.0, 12))
    # m_b: the extremes by hand with numpy over the individuals (the NaN gene is not a candidate)
    pred, meas = tables["predicted"], tables["measured"]
    rs = {}
    for g in sorted(pred.gene_id.unique())[:5]:
        x = pred[(pred.model == "m_b") & (pred.gene_id == g)].sort_values("individual")
        y = meas[meas.gene_id == g].sort_values("individual")
        rs[g] = float(np.corrcoef(x.predicted, y.measured)[0, 1])
    hi, lo = max(rs, key=rs.get), min(rs, key=rs.get)
    assert contains(block("m_b: most positive", f"SYM{hi[-1]} ({hi})", rs[hi], 12))
    assert contains(block("m_b: most negative", f"SYM{lo[-1]} ({lo})", rs[lo], 12))
    # the symbols of a gene table (the workflow's genes.tsv) label the genes the same way
    genes = corr[["gene_id", "symbol"]].drop_duplicates().assign(chrom="22")
    again = plots.extreme_gene_scatter(
        tables["corr"], tables["predicted"], tables["measured"], tmp_path / "y.svg", genes=genes
    )
    assert again.read_bytes() == out.read_bytes()


def test_concordance_counts_and_wilson(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "model": ["a"] * 7 + ["b"] * 3,
            "chromatin_state": ["E", "E", "E", "TSS", "TSS", None, "E", "E", "TSS", "TSS"],
            "concordant": [True, False, True, True, None, False, "true", False, True, np.nan],
        }
    )
    out = plots.concordance_by_state(df, tmp_path / "c.svg", state_order=["TSS", "E"])
    texts = svg_texts(out)
    # states: all, TSS, E, none (unlisted after the given order, sorted)
    ticks = [t for t in texts if t in ("all", "TSS", "E", "none")]
    assert ticks[:4] == ["all", "TSS", "E", "none"]
    # a: 6 with a sign (one None) -> all=6, TSS=1, E=4, none=1; b: 2 -> all=2, TSS=1, E=1, none=0
    numbers = [t for t in texts if t.isdigit()]
    assert numbers[-8:] == ["6", "1", "4", "1", "2", "1", "1", "0"]
    assert "a (1 without a sign)" in texts and "b (1 without a sign)" in texts
    # the same flags as text (pandas 3 `str` dtype, as read from a TSV) give the same figure
    as_text = df.assign(
        concordant=pd.Series(
            ["True", "False", "True", "True", None, "False", "true", "0", "1", None], dtype="str"
        )
    )
    again = plots.concordance_by_state(as_text, tmp_path / "c2.svg", state_order=["TSS", "E"])
    assert again.read_bytes() == out.read_bytes()
    # and as read by read_table(kind="variant_effects"): nullable booleans
    flags = [True, False, True, True, None, False, True, False, True, None]
    typed = df.assign(concordant=pd.array(flags, dtype="boolean"))
    third = plots.concordance_by_state(typed, tmp_path / "c3.svg", state_order=["TSS", "E"])
    assert third.read_bytes() == out.read_bytes()
    k, n = np.array([3, 0, 7]), np.array([6, 5, 10])
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(plots.wilson_interval(k, n), np.column_stack([lo, hi]), atol=1e-12)
    assert np.isnan(plots.wilson_interval(np.array([0]), np.array([0]))).all()


def test_dedup_totals(tmp_path: Path) -> None:
    stats = pd.DataFrame(
        {"gene_id": ["g1", "g2", "g3"], "n_haplotypes": [10, 10, 0], "n_unique": [2, 5, 0]}
    )
    texts = svg_texts(plots.dedup_statistics(stats, tmp_path / "h.svg"))
    assert "unique haplotypes: 7 of 20 (35.0%)" in texts
    assert "2 genes" in texts and "1 rows without counts" in texts


def test_benchmarks_and_runtimes(tmp_path: Path) -> None:
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    files = {
        "benchmarks/predict/enformer/000.tsv": "12.5\t0:00:12\t100\t1\t1\t1\t0\t0\t50\t11\n",
        "benchmarks/predict/enformer/001.tsv": "7.5\t0:00:07\t100\t1\t1\t1\t0\t0\t50\t6\n",
        "benchmarks/haplotypes/000.tsv": "0.25\t0:00:00\t10\t1\t1\t1\t0\t0\t5\t0.2\n",
        "benchmarks/gene_table.tsv": "1.0\t0:00:01\t10\t1\t1\t1\t0\t0\t5\t0.2\n",
    }
    paths = []
    for rel, row in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(header + row)
        paths.append(p)
    bench = plots.read_benchmarks(paths)
    assert list(bench["rule"]) == ["predict", "predict", "haplotypes", "gene_table"]
    assert list(bench["job"]) == ["enformer/000", "enformer/001", "000", "all"]
    assert list(bench["s"]) == [12.5, 7.5, 0.25, 1.0]
    texts = svg_texts(plots.rule_runtimes(bench, tmp_path / "r.svg"))
    assert "predict (2 jobs, 20.0 s)" in texts
    assert "haplotypes (1 job, 0.2 s)" in texts
    bad = tmp_path / "benchmarks" / "x" / "bad.tsv"
    bad.parent.mkdir(parents=True)
    bad.write_text("a\tb\n1\t2\n")
    with pytest.raises(InputError, match=r"bad\.tsv"):
        plots.read_benchmarks([bad])


def test_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing column.*pearson_r"):
        plots.correlation_distribution(pd.DataFrame({"model": ["a"]}), tmp_path / "x.svg")
    with pytest.raises(InputError, match=r"\.jpg"):
        plots.dedup_statistics(
            pd.DataFrame({"n_unique": [1], "n_haplotypes": [2]}), tmp_path / "x.jpg"
        )


def test_empty_tables_still_draw(tmp_path: Path) -> None:
    empty = pd.DataFrame(columns=["model", "gene_id", "pearson_r", "sign_class"])
    assert "no genes" in svg_texts(plots.correlation_distribution(empty, tmp_path / "e.svg"))
    assert "no genes" in svg_texts(plots.sign_classes(empty, tmp_path / "f.svg"))
    ve = pd.DataFrame(columns=["model", "chromatin_state", "concordant"])
    assert "no variants" in svg_texts(plots.concordance_by_state(ve, tmp_path / "g.svg"))


def svg_colours(path: Path) -> set[str]:
    """Every fill and stroke colour drawn in an SVG written by matplotlib."""
    return set(re.findall(r"(?:fill|stroke): (#[0-9a-f]{6})", path.read_text(encoding="utf-8")))


def test_each_model_has_one_colour_in_every_figure(
    tmp_path: Path, tables: dict[str, pd.DataFrame]
) -> None:
    """A model keeps its colour whichever models a figure shows: the configured order decides,
    the baseline is grey, and the sign classes never use a model colour."""
    base = "genotype_elastic_net"  # pexbench.models.facts.BASELINE_MODEL
    colours = palette.model_colours(["m_a", "m_b", base])
    assert colours == {"m_a": "#0072B2", "m_b": "#E69F00", base: palette.BASELINE_COLOUR}
    # the figures show m_b and the baseline only: m_b must stay orange, never m_a's blue
    corr = tables["corr"][tables["corr"].model == "m_b"]
    corr = pd.concat([corr, corr.assign(model=base)], ignore_index=True)
    pred = tables["predicted"][tables["predicted"].model == "m_b"]
    pred = pd.concat([pred, pred.assign(model=base)], ignore_index=True)
    effects = pd.DataFrame(
        {
            "model": ["m_b"] * 8 + [base] * 2,
            "chromatin_state": ["E"] * 6 + ["TSS"] * 2 + ["E"] * 2,
            "concordant": [True, False, True, True, True, False, True, False, True, False],
        }
    )
    headline = pd.DataFrame(
        {
            "model": ["m_b", base],
            "median_r": [0.1, 0.2],
            "median_r_ci_low": [0.0, 0.1],
            "median_r_ci_high": [0.2, 0.3],
            "variants_decided": [8, 2],
            "fraction_concordant": [0.625, 0.5],
            "concordance_ci_low": [0.3, 0.1],
            "concordance_ci_high": [0.9, 0.9],
        }
    )
    kw = {"colours": colours, "untrained": ["m_b"]}
    figures = {
        "distribution": plots.correlation_distribution(corr, tmp_path / "d.svg", **kw),
        "extremes": plots.extreme_gene_scatter(
            corr, pred, tables["measured"], tmp_path / "x.svg", **kw
        ),
        "concordance": plots.concordance_by_state(effects, tmp_path / "c.svg", **kw),
        "headline": plots.headline(headline, corr, tmp_path / "h.svg", **kw),
    }
    blue, orange, grey = "#0072b2", "#e69f00", palette.BASELINE_COLOUR.lower()
    for name, path in figures.items():
        drawn = svg_colours(path)
        assert orange in drawn and grey in drawn, name
        assert blue not in drawn, name
        assert not drawn & {c.lower() for c in palette.SIGN_COLOURS.values()} - {"#ffffff"}, name
        # the untrained model is flagged in the figure's title
        assert any(f"m_b: {palette.UNTRAINED_FLAG}" in t for t in svg_texts(path)), name
    signs = svg_colours(plots.sign_classes(corr, tmp_path / "s.svg", untrained=["m_b"]))
    assert {palette.SIGN_COLOURS["not significant"].lower()} <= signs
    assert not signs & {blue, orange, grey}
    with pytest.raises(InputError, match="no colour for model"):
        plots.correlation_distribution(corr, tmp_path / "e.svg", colours={"m_b": "#000000"})


def test_small_groups_are_drawn_hollow_with_their_n(tmp_path: Path) -> None:
    effects = pd.DataFrame(
        {
            "model": ["a"] * 7,
            "chromatin_state": ["E"] * 5 + ["TSS"] * 2,
            "concordant": [True, True, False, True, True, True, False],
        }
    )
    colours = palette.model_colours(["a"])
    out = plots.concordance_by_state(effects, tmp_path / "c.svg", min_group_size=5)
    svg = out.read_text(encoding="utf-8")
    # all (7) and E (5) are filled; TSS (2) is an outline only, its n in red
    assert len(re.findall(r"fill: none; stroke: #0072b2", svg)) == 1
    assert "fewer than 5" in " ".join(svg_texts(out))
    assert "#b2182b" in svg_colours(out)
    big = plots.concordance_by_state(effects, tmp_path / "d.svg", min_group_size=1, colours=colours)
    assert "fill: none; stroke: #0072b2" not in big.read_text(encoding="utf-8")


def test_concordance_by_distance_classes(tmp_path: Path) -> None:
    d = pd.Series([0, -999, 1000, 9999, -10_000, 49_999, 50_000, -250_000, None])
    assert list(plots.distance_class(d)[:8]) == [
        "<1 kb",
        "<1 kb",
        "1-10 kb",
        "1-10 kb",
        "10-50 kb",
        "10-50 kb",
        ">50 kb",
        ">50 kb",
    ]
    assert pd.isna(plots.distance_class(d)[8])
    effects = pd.DataFrame(
        {
            "model": "a",
            "distance_to_tss": [10, -20, 500, 5_000, 60_000, 70_000],
            "concordant": [True, True, False, True, False, False],
        }
    )
    out = plots.concordance_by_distance(effects, tmp_path / "d.svg", min_group_size=2)
    t = [html.unescape(x) for x in svg_texts(out)]
    assert [x for x in t if x in ("all", "<1 kb", "1-10 kb", ">50 kb")] == [
        "all",
        "<1 kb",
        "1-10 kb",
        ">50 kb",
    ]
    # n per group by hand: all 6, <1 kb 3, 1-10 kb 1 (hollow, red), >50 kb 2
    assert [x for x in t if x.isdigit()][-4:] == ["6", "3", "1", "2"]
    assert len(re.findall(r"fill: none; stroke: #0072b2", out.read_text())) == 1


def test_a_narrow_predicted_range_is_commented(tmp_path: Path, tables) -> None:
    pred = tables["predicted"].copy()
    sel = pred.model == "m_b"
    pred.loc[sel, "predicted"] = 1.0468 + 0.0009 * (pred.loc[sel, "predicted"] > 0)
    out = plots.extreme_gene_scatter(tables["corr"], pred, tables["measured"], tmp_path / "n.svg")
    notes = [t for t in svg_texts(out) if t.startswith("predicted values span only")]
    # m_b's two panels: span 0.0009 of a mean near 1.047 (0.086%); m_a's values vary widely
    assert len(notes) == 2 and all("span only 0.0009" in t for t in notes)


#: The flags of a run on a synthetic reference with a synthetic input (pexbench.report).
INPUT_FLAGS = ["synthetic reference", "synthetic input: chromatin_states"]


def test_non_real_inputs_are_flagged_in_every_title(
    tmp_path: Path, tables: dict[str, pd.DataFrame]
) -> None:
    """Every figure of a run on non-real inputs carries the NOT A RESULT line in its title;
    without flags (real inputs) each figure is byte-identical to one drawn without the keyword."""
    corr, pred, meas = tables["corr"], tables["predicted"], tables["measured"]
    effects = pd.DataFrame(
        {
            "model": ["m_a"] * 4,
            "chromatin_state": ["E", "E", "TSS", "TSS"],
            "distance_to_tss": [10, 2_000, 20_000, 90_000],
            "concordant": [True, False, True, True],
        }
    )
    headline = pd.DataFrame(
        {
            "model": ["m_a", "m_b"],
            "median_r": [0.1, 0.2],
            "median_r_ci_low": [0.0, 0.1],
            "median_r_ci_high": [0.2, 0.3],
            "variants_decided": [4, 0],
            "fraction_concordant": [0.75, np.nan],
            "concordance_ci_low": [0.3, np.nan],
            "concordance_ci_high": [0.95, np.nan],
        }
    )
    stats = pd.DataFrame({"n_unique": [2, 5], "n_haplotypes": [10, 10]})
    bench = pd.DataFrame({"rule": ["predict", "haplotypes"], "s": [2.0, 0.5]})
    figures = {
        "distribution": lambda out, **kw: plots.correlation_distribution(corr, out, **kw),
        "sign_classes": lambda out, **kw: plots.sign_classes(corr, out, **kw),
        "extremes": lambda out, **kw: plots.extreme_gene_scatter(corr, pred, meas, out, **kw),
        "headline": lambda out, **kw: plots.headline(headline, corr, out, **kw),
        "by_state": lambda out, **kw: plots.concordance_by_state(effects, out, **kw),
        "by_distance": lambda out, **kw: plots.concordance_by_distance(effects, out, **kw),
        "dedup": lambda out, **kw: plots.dedup_statistics(stats, out, **kw),
        "runtimes": lambda out, **kw: plots.rule_runtimes(bench, out, **kw),
    }
    line = report.input_flag_line(INPUT_FLAGS)
    for name, draw in figures.items():
        flagged = draw(tmp_path / f"{name}_flagged.svg", input_flags=INPUT_FLAGS)
        assert line in svg_texts(flagged), name
        real = draw(tmp_path / f"{name}_real.svg", input_flags=[])
        assert real.read_bytes() == draw(tmp_path / f"{name}.svg").read_bytes(), name
        assert "NOT A RESULT" not in real.read_text(encoding="utf-8"), name
