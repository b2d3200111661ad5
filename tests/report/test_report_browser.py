"""The interactive report in a real browser: headless Chromium (Debian's) driven by Playwright.

The page is opened from disk with the network cut (every request that is not the file itself is
refused and recorded): sorting a column reorders the rows, the filter hides rows, every plot
renders with no console error. A screenshot goes to $ACTOPT_SCREENSHOTS when set, to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from actopt.bench import Store
from actopt.cli import main
from actopt.train import RunResult, RunSpec

playwright = pytest.importorskip(
    "playwright.sync_api", reason="playwright not installed (dev extra)"
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (.ci/run installs it)"
)

ACCS = {"relu": [0.80, 0.82, 0.81], "tanh": [0.90, 0.93, 0.91], "elu": [0.70, 0.69, 0.72],
        "x/(1+abs(x))": [0.85, 0.84, 0.86]}  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """A two-dataset store with histories and diagnostics, and its report."""
    out = tmp_path_factory.mktemp("report")
    with Store(out) as s:
        s.set_meta("grid", {"baseline": "relu/adam", "target_acc": 0.5})
        for data, shift in (("moons", 0.0), ("xor", -0.1)):
            for act, accs in ACCS.items():
                for seed, acc in enumerate(accs):
                    spec = RunSpec(data=data, act=act, seed=seed, width=8)
                    a = acc + shift
                    history = [{"epoch": e, "train_loss": 1 / e, "test_loss": 1.2 / e,
                                "train_acc": a * e / 3, "test_acc": a * e / 3,
                                "elapsed_s": e / 10} for e in (1, 2, 3)]  # fmt: skip
                    diagnostics = [
                        {"epoch": 3, "grad_norm": {"linear1": 0.1 * acc, "linear2": 0.3 * acc}}
                    ]
                    s.put(RunResult(spec, final={"test_acc": a, "gen_gap": 0.02,
                                                 "dead_fraction": 0.1 * seed},
                                    history=history, diagnostics=diagnostics))  # fmt: skip
    assert main(["report", str(out), "-q"]) == 0
    return out / "report.html"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _open(browser, report: Path):
    """``report`` in a new page at the default width, network cut, errors recorded."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    blocked, errors = [], []

    def cut(route):  # the network is down: only the file itself loads
        if route.request.url == report.as_uri():
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", cut)
    pg = context.new_page()
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(report.as_uri())
    pg.wait_for_function("document.querySelectorAll('.plot .main-svg').length > 0")
    pg.blocked, pg.errors = blocked, errors
    return pg


@pytest.fixture(scope="module")
def page(browser, report):
    pg = _open(browser, report)
    yield pg
    pg.context.close()


@pytest.fixture(scope="module")
def hard_page(browser, hard_report):
    """The report of a store a new user's bench can leave (see conftest.write_hard_store)."""
    pg = _open(browser, hard_report)
    yield pg
    pg.context.close()


def _configs(page, section: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#{section} table.board tbody tr", "rows => rows.map(r => r.children[1].textContent)"
    )


def test_the_page_loads_offline_and_every_plot_renders(page, report):
    assert page.blocked == [] and page.errors == []
    text = report.read_text()
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text)  # plotly.js is inlined
    plots = page.eval_on_selector_all(
        ".plot", "ps => ps.map(p => [p.id, p.querySelectorAll('.main-svg').length])"
    )
    assert len(plots) >= 10 and all(n > 0 for _, n in plots), plots
    ids = {i for i, _ in plots}
    for section in ("moons-mlp", "xor-mlp"):
        for name in ("accuracy", "learning_curves", "heatmap", "parallel"):
            assert f"{section}-{name}" in ids
    if os.environ.get("ACTOPT_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["ACTOPT_SCREENSHOTS"]) / "report.png"),
                        full_page=True)  # fmt: skip


def test_sorting_a_column_reorders_the_rows(page):
    ranked = _configs(page, "moons-mlp")
    assert ranked[0] == "tanh/adam" and ranked[-1] == "elu/adam"
    header = page.locator("#moons-mlp table.board th", has_text="config")
    header.click()
    assert _configs(page, "moons-mlp") == sorted(ranked)
    header.click()
    assert _configs(page, "moons-mlp") == sorted(ranked, reverse=True)
    page.locator("#moons-mlp table.board th", has_text="test acc").click()
    assert _configs(page, "moons-mlp") == ranked[::-1]  # ascending accuracy


def test_the_filter_hides_rows(page):
    page.fill("#filter", "tanh")
    visible = page.eval_on_selector_all("table.board tbody tr",
                                        "rows => rows.filter(r => r.style.display !== 'none')"
                                        ".map(r => r.children[1].textContent)")  # fmt: skip
    assert visible == ["tanh/adam", "tanh/adam"]  # one per section
    page.fill("#filter", "")
    assert page.locator("table.board tbody tr:visible").count() == 8


def test_legend_toggling_hides_a_config(page):
    legend = page.locator("#moons-mlp-learning_curves .legend .traces .legendtoggle").first
    legend.click(force=True)
    page.wait_for_timeout(1200)  # plotly waits out a possible double click
    hidden = page.evaluate("""() => document.getElementById('moons-mlp-learning_curves').data
        .filter(t => t.visible === 'legendonly').length""")
    assert hidden >= 4  # its four panels (and bands) at once


# every text a plot drew, as [text, left, top, right, bottom, plot width] in the plot's box
_TEXTS = """id => { const box = document.getElementById(id).getBoundingClientRect();
return [...document.getElementById(id).querySelectorAll('text')].filter(t => t.textContent.trim())
.map(t => { const r = t.getBoundingClientRect(); return [t.textContent, r.left - box.left,
r.top - box.top, r.right - box.left, r.bottom - box.top, box.width] }) }"""


def _clashes(texts: list) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap by more than a pixel each way."""
    out = []
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            if min(a[3], b[3]) - max(a[1], b[1]) > 1 and min(a[4], b[4]) - max(a[2], b[2]) > 1:
                out.append((a[0], b[0]))
    return out


@pytest.mark.parametrize("plot", ["parallel", "grad_norms", "diagnostics"])
def test_labels_neither_overlap_nor_leave_the_plot(hard_page, plot):
    """Measured in the browser at the default width: long formulas and optimizer labels, an lr
    of 0, gradient norms within a decade."""
    assert hard_page.errors == []
    texts = hard_page.evaluate(_TEXTS, f"moons-mlp-{plot}")
    assert len(texts) > 5
    assert [t[0] for t in texts if t[1] < 0 or t[3] > t[5]] == []  # cut off at an edge
    assert _clashes(texts) == []
    if os.environ.get("ACTOPT_SCREENSHOTS"):
        hard_page.locator(f"#moons-mlp-{plot}").screenshot(
            path=str(Path(os.environ["ACTOPT_SCREENSHOTS"]) / f"hard-{plot}.png")
        )


def test_an_empty_epochs_to_target_panel_says_why_on_the_page(hard_page):
    texts = [t[0] for t in hard_page.evaluate(_TEXTS, "moons-mlp-diagnostics")]
    assert "epochs to 99% test acc" in texts
    assert any(t.startswith("no config reached 99%") for t in texts), texts
