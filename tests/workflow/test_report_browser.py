"""The Snakemake HTML report of a small demo run, opened in headless Chromium.

Runs the workflow on a small version of the bundled demo (tests/workflow/slurm/demo.py), builds
`report.html` with `snakemake --report`, and checks what a person would see: the report is one
self-contained file (no network), its app renders the categories and the workflow description
with the NOT-A-RESULT warnings, every figure is embedded, and a figure opened in the report's own
viewer is drawn (the screenshot is not blank, the figure area has many distinct colours).
The landing page carries the headline table, checked cell by cell against summary.json.
Screenshots of the landing page and of every figure at a desktop size (1600 x 1000) are kept in
`test-artifacts/report-screenshots/` of the checkout (or `$PEXBENCH_TEST_ARTIFACTS/...`), which
CI keeps. Skips only when /usr/bin/chromium (or `chromium` on PATH) is absent.
"""

from __future__ import annotations

import base64
import html as htmllib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from slurm.demo import run_snakemake, small_demo

pytestmark = pytest.mark.slow

FIGURES = (
    "headline.svg",
    "r_vs_eqtl_and_baseline.svg",
    "model_vs_model.svg",
    "concordance_by_distance.svg",
    "across_genes_vs_individuals.svg",
    "correlation_distribution.svg",
    "sign_classes.svg",
    "extreme_genes.svg",
    "concordance_by_state.svg",
    "haplotype_dedup.svg",
    "rule_runtimes.svg",
)
CATEGORIES = (
    "0. Results at a glance",
    "1. Gene-level correlation",
    "2. Variant-level direction",
    "3. Haplotypes",
    "4. Tables",
    "5. Run description and runtime",
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium() -> str | None:
    for cand in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and Path(cand).exists():
            return cand
    return None


def run_chromium(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    exe = chromium()
    assert exe is not None
    with tempfile.TemporaryDirectory(prefix="pexbench-chromium-") as profile:
        return subprocess.run(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )


class AppDom(HTMLParser):
    """Text and tags rendered inside <div id="app"> (scripts and styles excluded)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self.depth == 0 and a.get("id") == "app":
            self.depth = 1
            return
        if tag in ("script", "style"):
            self.skip += 1
        if self.depth:
            if tag not in ("img", "br", "hr", "input", "meta", "link", "path", "circle"):
                self.depth += 1
            self.tags.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1
        if self.depth and tag not in ("img", "br", "hr", "input", "meta", "link", "path"):
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip and data.strip():
            self.text.append(" ".join(data.split()))


def app_dom(html: str) -> AppDom:
    parser = AppDom()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def report_html(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if chromium() is None:
        pytest.skip("chromium not installed (apt-get install chromium)")
    workdir = tmp_path_factory.mktemp("report-demo")
    config = small_demo(repo_root, workdir, overrides={"genes.shards": 1})
    t0 = time.monotonic()
    run = run_snakemake(repo_root, workdir, config, "--cores", "2")
    assert run.returncode == 0, run.stderr[-5000:]
    rep = run_snakemake(repo_root, workdir, config, "--report", str(workdir / "report.html"))
    assert rep.returncode == 0, rep.stderr[-5000:]
    print(f"demo run + report: {time.monotonic() - t0:.1f} s")
    return workdir / "report.html"


def test_report_is_self_contained_with_every_figure(report_html: Path) -> None:
    html = report_html.read_text(encoding="utf-8")
    # no resource is fetched from the network (links to docs inside text are allowed)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']https?://", html)
    for name in FIGURES:
        m = re.search(
            r"data:image/svg\+xml;charset=[^;]+;filename="
            + re.escape(name)
            + r";base64,([A-Za-z0-9+/=]+)",
            html,
        )
        assert m, f"{name} not embedded"
        svg = base64.b64decode(m.group(1)).decode("utf-8")
        # the embedded figure is the file the workflow wrote, byte for byte
        on_disk = (report_html.parent / "results" / "report" / name).read_text(encoding="utf-8")
        assert svg == on_disk
    for name in ("run_description.html", "gene_correlations.tsv", "summary.json"):
        assert f"filename={name};base64," in html


def test_app_renders_categories_and_warnings(report_html: Path) -> None:
    res = run_chromium("--virtual-time-budget=10000", "--dump-dom", report_html.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    dom = app_dom(res.stdout)
    text = " ".join(dom.text)
    for cat in CATEGORIES:
        assert cat in dom.text, f"category {cat!r} not rendered"
    # one warning on the landing page: the tiny random Enformer (the demo's reference and
    # states are real data: no input flag)
    assert text.count("random weights, NOT A RESULT") == 1, text
    assert "enformer_tiny_random: random weights, NOT A RESULT" in text
    assert "NOT A RESULT: synthetic" not in text


DESKTOP = "--window-size=1600,1000"


def artifacts_dir(repo_root: Path) -> Path:
    """Where the screenshots are kept (CI keeps what `.ci/run` leaves in the checkout)."""
    root = Path(os.environ.get("PEXBENCH_TEST_ARTIFACTS", repo_root / "test-artifacts"))
    out = root / "report-screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


def screenshot(page: Path, out: Path) -> np.ndarray:
    res = run_chromium("--virtual-time-budget=10000", DESKTOP, f"--screenshot={out}", page.as_uri())
    assert res.returncode == 0 and out.exists(), res.stderr[-2000:]
    from matplotlib import image as mpimg

    pixels = mpimg.imread(out)[..., :3]
    assert pixels.shape[:2] == (1000, 1600)
    assert float(pixels.std()) > 0.05, f"{out.name} is blank"
    return pixels


def landing_rows(dom: str) -> dict[str, list[tuple[object, str]]]:
    """{model: [(data-value, shown text) per cell]} of the landing page's headline table."""
    rows = {}
    for model, body in re.findall(r'<tr data-model="([^"]+)"[^>]*>(.*?)</tr>', dom, flags=re.S):
        cells = re.findall(r'<td(?: data-value="([^"]*)")?>(.*?)</td>', body, flags=re.S)
        rows[htmllib.unescape(model)] = [
            (json.loads(htmllib.unescape(v)) if v else None, htmllib.unescape(t)) for v, t in cells
        ]
    return rows


def test_landing_page_answers_with_the_summary_numbers(report_html: Path, repo_root: Path) -> None:
    """What a reader sees first: the headline table (numbers equal to summary.json), the
    headline figure and a link to the run description; screenshots kept as artifacts."""
    res = run_chromium("--virtual-time-budget=10000", "--dump-dom", report_html.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    dom = res.stdout
    summary = json.loads(
        (report_html.parent / "results" / "evaluation" / "summary.json").read_text()
    )
    rows = landing_rows(dom)
    assert list(rows) == ["enformer_tiny_random", "xpresso", "genotype_elastic_net"]
    assert set(rows) == set(summary["models"])
    for model, cells in rows.items():
        entry = summary["models"][model]
        assert cells[0][0] == model
        assert cells[3] == (entry["genes_evaluated"], str(entry["genes_evaluated"]))
        median, (lo, hi) = entry["median_pearson_r"], entry["median_pearson_r_ci95"]
        assert lo <= median <= hi
        assert cells[4] == ([median, lo, hi], f"{median:+.3f} [{lo:+.3f}, {hi:+.3f}]")
        pos, neg = entry["significant_positive"], entry["significant_negative"]
        assert cells[5] == ([pos, neg], f"{pos} / {neg}")
        assert cells[6][0] == entry["fraction_significant_negative"]
        conc = entry.get("concordance") or {}
        decided = conc.get("concordant", 0) + conc.get("discordant", 0)
        assert cells[7][0] == [conc.get("fraction_concordant"), decided]
    assert rows["enformer_tiny_random"][0][1] == "enformer_tiny_random [NOT A RESULT]"
    assert rows["xpresso"][2][1] == "yes"
    assert "filename=headline.svg;base64," in dom  # the headline figure, embedded
    assert "run_description.html" in dom and "showResultInfo" in dom
    pixels = screenshot(report_html, artifacts_dir(repo_root) / "landing.png")
    # the table's header row (light grey #eee) is on screen above the fold
    grey = np.array([0xEE, 0xEE, 0xEE]) / 255.0
    assert (np.abs(pixels - grey).max(axis=-1) < 0.01).sum() > 5000


def test_every_figure_screenshot(report_html: Path, repo_root: Path, tmp_path: Path) -> None:
    """Each figure opened in the report's viewer at a desktop size, kept as an artifact."""
    html = report_html.read_text(encoding="utf-8")
    head, sep, tail = html.rpartition("</body>")
    assert sep
    out = artifacts_dir(repo_root)
    for name in FIGURES:
        opener = (
            "<script>window.addEventListener('load', () => setTimeout(() => {"
            f"const p = Object.keys(results).find(k => k.endsWith('/{name}'));"
            "app.setView({content: 'img', contentPath: results[p].data_uri, resultPath: p});"
            "}, 200));</script></body>"
        )
        page = tmp_path / f"open_{name}.html"
        page.write_text(head + opener + tail, encoding="utf-8")
        screenshot(page, out / f"{Path(name).stem}.png")


def test_figure_is_drawn_in_the_report_viewer(report_html: Path, tmp_path: Path) -> None:
    """Open a figure through the report's own app (what a click on it does) and look at it."""
    page = tmp_path / "report_open_figure.html"
    opener = (
        "<script>window.addEventListener('load', () => setTimeout(() => {"
        "const p = Object.keys(results).find(k => k.endsWith('correlation_distribution.svg'));"
        "app.setView({content: 'img', contentPath: results[p].data_uri, resultPath: p});"
        "}, 200));</script></body>"
    )
    html = report_html.read_text(encoding="utf-8")
    head, sep, tail = html.rpartition("</body>")  # the document's own closing tag is the last
    assert sep
    page.write_text(head + opener + tail, encoding="utf-8")

    res = run_chromium("--virtual-time-budget=10000", "--dump-dom", page.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    imgs = [a for tag, a in app_dom(res.stdout).tags if tag == "img"]
    shown = [a["src"] for a in imgs if "filename=correlation_distribution.svg" in a.get("src", "")]
    assert shown, "the figure is not shown in the report's content area"

    shot = tmp_path / "figure.png"
    res = run_chromium(
        "--virtual-time-budget=10000",
        "--window-size=1400,1000",
        f"--screenshot={shot}",
        page.as_uri(),
    )
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    from matplotlib import image as mpimg

    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[0] >= 900 and pixels.shape[1] >= 1300
    assert float(pixels.std()) > 0.05  # not blank
    # the figure uses the model colours: the blue of the first model's histogram is on screen
    blue = np.array([0x00, 0x72, 0xB2]) / 255.0
    assert (np.abs(pixels - blue).max(axis=-1) < 0.04).sum() > 500
