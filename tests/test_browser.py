"""JupyterLab in headless Chromium: run notebook 2, click the stepper's Next button, see the step change.

Needs Debian's Chromium at /usr/bin/chromium (or $CHROMIUM) and Playwright for Python; skipped with a
reason otherwise. The notebook is run from a temporary copy, so the repository's file is never
autosaved. A screenshot is saved to tests/artifacts/ (git-ignored).
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
NOTEBOOK = ROOT / "notebooks" / "02_authenticate_then_create.ipynb"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM} (install it: apt-get install -y chromium)", allow_module_level=True)
sync_playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").sync_playwright


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


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a free port, serving a copy of notebook 2; always stopped afterwards."""
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    port, token = _free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp_path / "lab.log", "wb")  # noqa: SIM115 - closed in the finally below
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


def _final_step() -> tuple[int, int, str]:
    """The step the notebook's last cell leaves the stepper on, from its saved text repr."""
    import nbformat

    cell = [c for c in nbformat.read(NOTEBOOK, 4).cells if c.cell_type == "code"][-1]
    text = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
    m = re.search(r"FlowStepper\(step (\d+)/(\d+): (.+)\)", text)
    assert m, f"the last cell of {NOTEBOOK.name} should display the stepper, not {text!r}"
    return int(m[1]), int(m[2]), m[3]


def test_next_button_changes_the_step_in_jupyterlab(lab):
    base, token = lab
    step, total, name = _final_step()
    expected = f"Step {step} of {total} · {name}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}")
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                " && window.jupyterapp.shell.currentWidget.sessionContext"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.connectionStatus === 'connected'")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

            label = page.locator(".sessioning-step-label").last
            label.wait_for(state="visible")
            # Wait for the state the last cell leaves (the first step of the log-in).
            page.wait_for_function(
                "(want) => { const l = document.querySelectorAll('.sessioning-step-label');"
                " return l.length && l[l.length - 1].textContent.trim() === want; }", arg=expected)
            page.wait_for_function("() => !document.body.innerText.includes('[*]')")
            before = label.inner_text().strip()

            stepper = page.locator(".sessioning-flow-stepper").last
            stepper.scroll_into_view_if_needed()
            stepper.locator("button", has_text="Next").click()
            page.wait_for_function(
                "(before) => { const l = document.querySelectorAll('.sessioning-step-label');"
                " return l[l.length - 1].textContent.trim() !== before; }", arg=before)
            after = label.inner_text().strip()
            news = page.get_by_role("button", name="No", exact=True)  # JupyterLab's "news?" toast
            if news.count():
                news.first.click()
            stepper.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "notebook2_stepper_page.png"))
            stepper.screenshot(path=str(ARTIFACTS / "notebook2_stepper.png"))
            page.locator(".sessioning-login-panel").first.screenshot(path=str(ARTIFACTS / "notebook2_login_panel.png"))
        finally:
            browser.close()
    assert before == expected
    assert after.startswith(f"Step {step + 1} of {total} · ") and after != before, after
