"""The page in a real browser: headless Chromium (Debian's) driven by Playwright.

A real uvicorn server on a free local port, the real page, real clicks. Screenshots go to
pytest's tmp dir (or to $ACTOPT_SCREENSHOTS, to look at them).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

playwright = pytest.importorskip(
    "playwright.sync_api", reason="playwright not installed (dev extra)"
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from actopt.playground import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(store_dir=str(tmp_path_factory.mktemp("store")))
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("ACTOPT_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    ctx.on("weberror", lambda e: errors.append(str(e.error)))
    yield ctx
    ctx.close()
    assert not errors, f"JavaScript errors: {errors}"


def open_page(context, url):
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("document.getElementById('a-test-loss')?.textContent.match(/\\d/)")
    return page


def number(page, selector) -> float:
    return float(page.locator(selector).text_content().replace(",", ""))


def pixels(page, canvas_id) -> str:
    return page.evaluate("id => document.getElementById(id).toDataURL()", canvas_id)


def wait_steps(page, at_least: int) -> None:
    page.wait_for_function(
        f"Number(document.getElementById('step').textContent.replace(/,/g, '')) >= {at_least}",
        timeout=30_000,
    )


def test_play_the_test_loss_falls_and_the_boundary_changes(context, server, shots):
    page = open_page(context, server)
    page.screenshot(path=shots / "01-opened.png", full_page=True)
    loss0, picture0 = number(page, "#a-test-loss"), pixels(page, "a-boundary")
    page.click("#play")
    wait_steps(page, 1500)
    page.click("#play")  # pause
    page.wait_for_function("!window.playground.playing")
    page.screenshot(path=shots / "02-trained.png", full_page=True)
    assert number(page, "#a-test-loss") < 0.7 * loss0
    assert pixels(page, "a-boundary") != picture0
    step = number(page, "#step")
    page.click("#step-button")
    page.wait_for_function(
        f"Number(document.getElementById('step').textContent.replace(/,/g, '')) === {step + 1}"
    )


def test_formula_is_plotted_and_a_bad_one_is_an_inline_error(context, server, shots):
    page = open_page(context, server)
    plot = page.locator("canvas.actplot").nth(0)
    before = plot.evaluate("c => c.toDataURL()")
    page.locator("select.act").nth(0).select_option("formula…")
    page.locator("input.formula").nth(0).fill("x*tanh(softplus(x))")
    page.locator("input.formula").nth(0).press("Enter")
    page.wait_for_function(
        "window.playground.structure.config.a.layers[0].act === 'x*tanh(softplus(x))'"
    )
    page.wait_for_function(
        "b => document.querySelector('canvas.actplot').toDataURL() !== b", arg=before
    )  # the new f and f′ are drawn
    page.click("#play")
    wait_steps(page, 50)
    page.locator("select.act").nth(1).select_option("formula…")
    page.locator("input.formula").nth(1).fill("x*foo(x)")
    page.locator("input.formula").nth(1).press("Enter")
    error = page.locator(".field-error")
    error.wait_for()
    assert "unknown function 'foo'" in error.text_content()
    step = number(page, "#step")
    wait_steps(page, step + 100)  # training goes on with the last good configuration
    assert page.evaluate("window.playground.config.a.layers[1].act") == "tanh"
    page.screenshot(path=shots / "03-formula-error.png", full_page=True)
    page.click("#play")


def test_two_tabs_are_independent(context, server):
    one, two = open_page(context, server), open_page(context, server)
    one.click("button[data-name=xor]")
    one.wait_for_function("window.playground.config.data.name === 'xor'")
    one.click("#play")
    wait_steps(one, 100)
    assert two.evaluate("window.playground.config.data.name") == "circles"
    assert number(two, "#step") == 0
    one.click("#play")


def test_the_url_restores_a_configuration(context, server, shots):
    page = open_page(context, server)
    page.click("button[data-name=spirals]")
    page.wait_for_function("window.playground.config.data.name === 'spirals'")
    page.locator(".layers-head button").nth(1).click()  # a third hidden layer
    # the panel is rebuilt when the new model's structure comes, after its config: typing
    # into the old field in between would be lost with it
    page.wait_for_function("window.playground.structure.config.a.layers.length === 3")
    page.fill("#a-lr", "0.1")
    page.press("#a-lr", "Enter")
    page.wait_for_function("window.playground.config.a.hyper.lr === 0.1")
    page.click("#compare")
    page.wait_for_function("window.playground.config.b !== null")
    url = page.url
    assert "#s=" in url
    fresh = open_page(context, url)
    fresh.wait_for_function("window.playground.structure.config.data.name === 'spirals'")
    cfg = fresh.evaluate("window.playground.config")
    assert len(cfg["a"]["layers"]) == 3 and cfg["a"]["hyper"]["lr"] == 0.1 and cfg["b"] is not None
    assert fresh.locator("section.model").count() == 2
    assert fresh.input_value("#a-lr") == "0.1"
    fresh.click("#play")
    wait_steps(fresh, 200)
    fresh.click("#play")
    fresh.screenshot(path=shots / "04-compare-from-url.png", full_page=True)


def test_the_landscape_tab_animates(context, server, shots):
    page = open_page(context, server)
    page.click("[data-tab=landscape]")
    page.wait_for_function("window.playground.landscape.result !== null")
    seen = {pixels(page, "ls-canvas")}
    for _ in range(4):
        page.wait_for_timeout(250)
        seen.add(pixels(page, "ls-canvas"))
    assert len(seen) >= 3  # the paths grow as they are drawn
    page.wait_for_timeout(2600)
    page.screenshot(path=shots / "05-landscape.png", full_page=True)
    done = pixels(page, "ls-canvas")
    slider = page.locator("[data-field='runs.1.momentum']")
    slider.fill("0.5")  # a slider moved: new paths from the server
    page.wait_for_function("window.playground.landscape.result.runs[1].hyper.momentum === 0.5")
    page.wait_for_timeout(2700)
    assert pixels(page, "ls-canvas") != done
