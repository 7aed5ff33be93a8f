"""Every notebook in JupyterLab, in headless Chromium, as a new user sees it.

For each notebook: the saved notebook shows its widgets (not their text form) before anything
runs; "Run All" then runs it without an error output; Mermaid diagrams render as pictures; a
screenshot is saved to tests/artifacts/. Notebook 2 is also clicked through: **Log in** shows its
TRACE and its answer inside the notebook, and the stepper's **Next** changes the step.

Needs Debian's Chromium at /usr/bin/chromium (or $CHROMIUM) and Playwright for Python; skipped with
a reason otherwise. The notebooks are served from a temporary copy (with fixtures/ beside them), so
the repository's files are never autosaved; the copies are trusted first, as `make lab` does.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ARTIFACTS = ROOT / "tests" / "artifacts"
CLICKED = ROOT / "notebooks" / "02_authenticate_then_create.ipynb"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# A browser that stops answering must fail the test, never hang the suite (CI has a time limit).
pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM} (install it: apt-get install -y chromium)", allow_module_level=True)
sync_playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").sync_playwright

KERNEL_CONNECTED = (
    "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
    " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
    " return !!k && k.connectionStatus === 'connected' && k.status === 'idle'; }")
# Every code cell has run (or one failed, which stops Run All) and the kernel is idle again.
RUN_FINISHED = (
    "() => { const w = window.jupyterapp.shell.currentWidget; const cells = w.content.model.cells;"
    " const k = w.sessionContext.session.kernel; if (k.status !== 'idle') return false;"
    " for (let i = 0; i < cells.length; i++) { const c = cells.get(i);"
    "   if (c.type === 'code') for (let j = 0; j < c.outputs.length; j++) if (c.outputs.get(j).type === 'error') return true; }"
    " for (let i = 0; i < cells.length; i++) { const c = cells.get(i);"
    "   if (c.type === 'code' && c.sharedModel.getSource().trim() && c.executionCount === null) return false; }"
    " return true; }")
ERROR_OUTPUTS = (
    "() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells; const errors = [];"
    " for (let i = 0; i < cells.length; i++) { const c = cells.get(i); if (c.type !== 'code') continue;"
    "   for (let j = 0; j < c.outputs.length; j++) { const o = c.outputs.get(j);"
    "     if (o.type === 'error') errors.push(`cell ${i}: ` + JSON.stringify(o.toJSON()).slice(0, 300)); } }"
    " return errors; }")
# Outputs drawn as widgets; an untrusted notebook, or one without saved widget state, shows their text form.
WIDGET_OUTPUTS = ("() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
                  ".filter(o => o.querySelector('.jupyter-widgets')).length")
MERMAID_LOADED = (
    "() => Array.from(document.querySelectorAll('.jp-RenderedMermaid img'))"
    ".map(img => img.complete && img.naturalWidth > 0)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"jupyter lab did not answer {url} within {timeout}s")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free port, serving trusted copies of the notebooks; always stopped."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "fixtures", root / "fixtures")
    # A second copy of notebook 2 for the click test, so it opens a document no other test has opened.
    shutil.copy(ROOT / "notebooks" / CLICKED.name, root / "notebooks" / f"clicked-{CLICKED.name}")
    env = {**os.environ, "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTER_DATA_DIR": str(tmp / "data"),  # the trust database of this test only
           "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings")}
    # Draw every cell, not only those in view, so the checks see every output without scrolling.
    tracker = tmp / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')
    subprocess.run([sys.executable, "-m", "jupyter", "trust", *map(str, (root / "notebooks").glob("*.ipynb"))],
                   env=env, check=True, capture_output=True)
    port, token = _free_port(), uuid.uuid4().hex
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "lab.log", "wb")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/api/status?token={token}", proc)
        yield f"http://127.0.0.1:{port}", token
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and the kernels it started
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _close(page) -> None:
    """Close the page and shut its kernel down, so kernels do not pile up over the notebooks."""
    try:
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    except Exception:  # noqa: BLE001 - the page may already be gone; closing is what matters
        pass
    page.close()


def _open(browser, lab, notebook: Path):
    base, token = lab
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.set_default_timeout(90_000)
    page.goto(f"{base}/lab/tree/notebooks/{notebook.name}?token={token}")
    page.wait_for_function(KERNEL_CONNECTED)
    news = page.get_by_role("button", name="No", exact=True)  # JupyterLab's "news?" toast
    if news.count():
        news.first.click()
    return page


def _run_all(page) -> None:
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    time.sleep(1)
    page.wait_for_function(RUN_FINISHED, polling=500)


def _saved_widget_outputs(notebook: Path) -> int:
    import nbformat

    return sum("application/vnd.jupyter.widget-view+json" in out.get("data", {})
               for cell in nbformat.read(notebook, 4).cells if cell.cell_type == "code" for out in cell.outputs)


def _saved_mimes(notebook: Path) -> set[str]:
    import nbformat

    return {mime for cell in nbformat.read(notebook, 4).cells if cell.cell_type == "code"
            for out in cell.outputs for mime in out.get("data", {})}


# First, on a fresh server: after eight notebooks have run, its clicks were sometimes lost.
def test_login_click_and_next_step_in_notebook_2(lab, browser):
    page = _open(browser, lab, CLICKED.with_name(f"clicked-{CLICKED.name}"))
    try:
        _run_all(page)
        panel = page.locator(".sessioning-login-panel").first
        panel.scroll_into_view_if_needed()
        panel.locator("button", has_text="Log in").click()
        # The click's TRACE and its answer appear in the notebook, inside the panel.
        log = panel.locator(".sessioning-panel-log")
        log.get_by_text(re.compile(r"Requesting\.request \{")).last.wait_for(state="visible")
        log.get_by_text(re.compile(r"/login → 200")).last.wait_for(state="visible")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(ARTIFACTS / "notebook2_login_click.png"))

        stepper = page.locator(".sessioning-flow-stepper").last
        stepper.scroll_into_view_if_needed()
        label = stepper.locator(".sessioning-step-label")
        before = label.inner_text().strip()
        stepper.locator("button", has_text="Next").click()
        page.wait_for_function(
            "(before) => { const l = document.querySelectorAll('.sessioning-flow-stepper .sessioning-step-label');"
            " return l[l.length - 1].textContent.trim() !== before; }", arg=before)
        after = label.inner_text().strip()
        stepper.screenshot(path=str(ARTIFACTS / "notebook2_stepper.png"))
    finally:
        _close(page)
    step = re.match(r"Step (\d+) of (\d+)", before)
    assert step, before
    assert after.startswith(f"Step {int(step[1]) + 1} of {step[2]} · "), after


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs_clean_in_jupyterlab(lab, browser, notebook):
    mimes = _saved_mimes(notebook)
    page = _open(browser, lab, notebook)
    try:
        n_widgets = _saved_widget_outputs(notebook)
        if n_widgets:
            # Before anything runs: the saved widget state is drawn, not the widgets' text form.
            page.wait_for_function(f"() => ({WIDGET_OUTPUTS})() >= {n_widgets}")
        _run_all(page)
        assert page.evaluate(ERROR_OUTPUTS) == []
        if n_widgets:
            assert page.evaluate(WIDGET_OUTPUTS) >= n_widgets
        if "text/vnd.mermaid" in mimes:
            page.wait_for_function("() => document.querySelectorAll('.jp-RenderedMermaid img').length > 0")
            page.wait_for_function(f"() => ({MERMAID_LOADED})().every(Boolean)")
            # The screenshot shows the first diagram that is visible (a stepper's own may be off-screen).
            page.evaluate("() => { const d = Array.from(document.querySelectorAll('.jp-RenderedMermaid'))"
                          ".find(e => e.offsetParent !== null); if (d) d.scrollIntoView({block: 'center'}); }")
            time.sleep(0.5)
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{notebook.stem}.png"))  # also what a failure looked like
        _close(page)
