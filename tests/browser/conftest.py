"""Fixtures for the browser tests: one JupyterLab and one headless Chromium per test module, both
always stopped, and a check that nothing they started is left running."""

import pytest

import labdriver


def pytest_configure(config):
    # Registered here so that --strict-markers accepts these tests wherever pytest is started;
    # pyproject.toml may list the same marker too.
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium (tests/browser)")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """The module's folder for everything it starts: the lab's root, settings, the browser profile.
    Outside CI a machine without Chromium or playwright skips, naming the command that installs it;
    in CI (tests/conftest.py) that skip is a failure."""
    reason = labdriver.missing_browser_reason()
    if reason:
        pytest.skip(reason)
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def notebook(request, lab, browser):
    """The module's notebook (its NOTEBOOK) opened in the browser and run with Run All Cells; a
    screenshot of it goes to test-output/browser/ whether the run worked or not."""
    return labdriver.open_and_run(browser, lab, request.module.NOTEBOOK)


@pytest.fixture(scope="module")
def lab(home):
    """A JupyterLab server on 127.0.0.1, a free port and a token, serving a copy of the notebooks
    without outputs. Stopped after the module whatever happened; then no process it started may
    be running (any that is, is killed and the module fails)."""
    server = labdriver.start_lab(home / "lab")
    try:
        yield server
    finally:
        labdriver.stop_lab(server)
        left = labdriver.wait_until_gone(lambda: labdriver.processes_naming(server.marker))
        labdriver.kill_all(left)
    assert not left, f"still running after JupyterLab stopped: {labdriver.describe(left)}"


@pytest.fixture(scope="module")
def browser(home):
    """A browser context of Debian's Chromium, headless, with a fresh profile; closed after the
    module, after which neither Chromium nor Playwright's driver may be running."""
    from playwright.sync_api import sync_playwright

    profile = home / "chromium"
    playwright = sync_playwright().start()
    context = None
    try:
        context = labdriver.launch_chromium(playwright, profile)
        yield context
    finally:
        try:
            if context is not None:
                context.close()
        finally:
            playwright.stop()
        chromium = labdriver.wait_until_gone(lambda: labdriver.processes_naming(f"{profile}/"))
        driver = labdriver.wait_until_gone(lambda: labdriver.children_named("playwright"))
        labdriver.kill_all({**chromium, **driver})
    assert not chromium, f"Chromium was still running after the browser closed: {labdriver.describe(chromium)}"
    assert not driver, f"Playwright's driver was still running after it stopped: {labdriver.describe(driver)}"
