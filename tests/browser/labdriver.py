"""Drive the workbook in JupyterLab, in headless Chromium, the way a person would.

A JupyterLab server from the project's environment serves a copy of the notebooks without their
outputs (stale outputs would make every check pass); Playwright drives Debian's Chromium (never a
downloaded browser). Everything the tests start gets its own temporary "home" folder, and every
process they start (and every process those start) names that folder in its command line or its
environment, so a test can prove that none is left behind.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SCREENSHOTS = ROOT / "test-output" / "browser"
OVERRIDES = ROOT / "scripts" / "jupyterlab-overrides.json"

# The flags of shared/reference/tooling.md; Playwright adds --headless itself.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-quic", "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
TALLEST_SCREENSHOT = 30000  # pixels; a whole notebook fits, a runaway layout does not
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SVG_NS = "{http://www.w3.org/2000/svg}"

SERVER_START_SECONDS = 90
KERNEL_IDLE_SECONDS = 120
RUN_ALL_SECONDS = 300  # a notebook runs in under 10 s alone; CI may run two labs and nbval at once
GONE_SECONDS = 20


# --------------------------------------------------------------------------------------------
# What the machine has


def expect(*args, **kwargs):
    """Playwright's expect, imported when first used: a machine without playwright still collects
    the tests, and skips them with the command that installs it."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def install_chromium_command() -> str:
    sudo = "" if os.geteuid() == 0 else "sudo "
    return f"{sudo}apt-get install -y chromium"


def install_playwright_command() -> str:
    """The one command that puts the Python package (only; no browser) into this interpreter."""
    if shutil.which("uv"):
        return f"uv pip install --python {sys.executable} playwright"
    return f"{sys.executable} -m pip install playwright"


def missing_browser_reason() -> str | None:
    """Why the browser tests cannot run here, with the command that fixes it; None when they can."""
    if not Path("/proc").is_dir():
        return "the browser tests need Linux (/proc tells them which processes they left behind)"
    if chromium_path() is None:
        return f"Chromium is not installed; install it with: {install_chromium_command()}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"the playwright package is not installed; install it with: {install_playwright_command()}"
    return None


# --------------------------------------------------------------------------------------------
# Processes


def _running_processes() -> dict[int, tuple[str, str]]:
    """pid -> (command line, environment) of every process still running (zombies left out)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            environ = (entry / "environ").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # it ended while we looked, or is not ours to read
            continue
        state = stat.rsplit(")", 1)[1].split()[0]
        if state != "Z" and cmdline:
            found[int(entry.name)] = (cmdline, environ)
    return found


def processes_naming(marker: str) -> dict[int, str]:
    """pid -> command line of the running processes whose command line or environment contains
    `marker` (a test's home folder): what the test started, and what those started in turn, even a
    process a notebook left running in the background (it inherits the kernel's environment)."""
    me = os.getpid()
    return {pid: cmd for pid, (cmd, environ) in _running_processes().items()
            if pid != me and (marker in cmd or marker in environ)}


def children_named(word: str) -> dict[int, str]:
    """Running children of this process whose command line contains `word`."""
    children = {}
    for pid, (cmd, _) in _running_processes().items():
        try:
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and word in cmd:
            children[pid] = cmd
    return children


def wait_until_gone(find, timeout: float = GONE_SECONDS) -> dict[int, str]:
    """Poll `find()` until it returns nothing or the time is up; return what is still there."""
    deadline = time.monotonic() + timeout
    left = find()
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = find()
    return left


def kill_all(processes: dict[int, str]) -> None:
    """SIGKILL each process by its id (only ever ones a test started and failed to stop)."""
    for pid in processes:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def changed(read, before, timeout: float = 30):
    """Call read() until it returns something other than `before` (or the time is up), and return
    that. A widget updates part by part, each part in its own message (a caption, then a
    drawing), so one part having changed does not mean that the next one has."""
    deadline = time.monotonic() + timeout
    value = read()
    while value == before and time.monotonic() < deadline:
        time.sleep(0.1)
        value = read()
    return value


def describe(processes: dict[int, str]) -> str:
    return "; ".join(f"pid {pid}: {cmd[:160]}" for pid, cmd in processes.items())


# --------------------------------------------------------------------------------------------
# The folder JupyterLab serves


def without_outputs(notebook: dict) -> dict:
    """A copy of a notebook with no outputs, execution counts or saved widget state."""
    clean = json.loads(json.dumps(notebook))
    clean.get("metadata", {}).pop("widgets", None)
    for cell in clean["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return clean


def prepare_root(home: Path) -> Path:
    """home/root laid out like the repository for the notebooks: notebooks/ (without outputs)
    next to tests/fixtures/, which notebook 01 reads as ../tests/fixtures/...; copies, so nothing a
    notebook writes reaches the repository."""
    root = home / "root"
    (root / "notebooks").mkdir(parents=True)
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        clean = without_outputs(json.loads(notebook.read_text()))
        (root / "notebooks" / notebook.name).write_text(json.dumps(clean, indent=1) + "\n")
    shutil.copytree(ROOT / "tests" / "fixtures", root / "tests" / "fixtures")
    return root


def write_user_settings(settings_dir: Path) -> None:
    """The project's JupyterLab settings (no news pop-up, no update check) as user settings, so the
    test sees the same JupyterLab whether the set-up's overrides.json is there or not (conda), and
    nothing from the developer's own ~/.jupyter."""
    for plugin_id, values in json.loads(OVERRIDES.read_text()).items():
        package, plugin = plugin_id.split(":")
        path = settings_dir / package / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


# --------------------------------------------------------------------------------------------
# The JupyterLab server


@dataclass
class Lab:
    """A running JupyterLab server and where it keeps its things."""

    process: subprocess.Popen
    url: str
    token: str
    home: Path
    root: Path
    log: Path

    @property
    def marker(self) -> str:
        """A string in the command line or environment of every process started for this lab (and
        of what those start): its home folder."""
        return f"{self.home}/"

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lab_environment(home: Path) -> dict[str, str]:
    """The environment of the server (and so of its kernels): this project's Python, and every
    per-user Jupyter folder in `home`, so that a developer's own settings, workspaces and IPython
    start-up files change nothing and the kernels' connection files name `home`."""
    settings = home / "lab-user-settings"
    write_user_settings(settings)
    # WORKBOOK_SANDBOX_ACCOUNT and its kin would point notebook 08 at a real account: never here.
    env = {name: value for name, value in os.environ.items() if not name.startswith("WORKBOOK_")}
    env.update({
        "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(home / "jupyter-runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "lab-workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    })
    return env


def lab_command(root: Path, port: int, token: str) -> list[str]:
    """`jupyter lab` as `make lab` starts it, bound to 127.0.0.1 with a token and no browser."""
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
        # A safety net should the test process be killed before it can stop the server: idle
        # kernels end after 10 minutes, and then the server itself.
        "--MappingKernelManager.cull_idle_timeout=600", "--MappingKernelManager.cull_interval=60",
        "--ServerApp.shutdown_no_activity_timeout=900",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


def start_lab(home: Path) -> Lab:
    """Start JupyterLab on a free port and wait until it answers. Tries three ports, in case
    another program takes the free one first."""
    home.mkdir(parents=True, exist_ok=True)
    root = prepare_root(home)
    log = home / "jupyterlab.log"
    env = lab_environment(home)
    problem = ""
    for _ in range(3):
        port, token = free_port(), secrets.token_hex(16)
        with open(log, "ab") as log_file:
            process = subprocess.Popen(lab_command(root, port, token), cwd=root, env=env,
                                       stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        lab = Lab(process, f"http://127.0.0.1:{port}", token, home, root, log)
        problem = _wait_until_answering(lab)
        if not problem:
            return lab
        stop_lab(lab)
    raise RuntimeError(f"JupyterLab did not start: {problem}\n{lab.log_tail()}")


def _wait_until_answering(lab: Lab) -> str:
    """'' once the server answers its status API, else why not."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            return f"the server exited with code {lab.process.returncode}"
        try:
            lab.api("GET", "/api/status")
            return ""
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    return f"no answer on {lab.url} after {SERVER_START_SECONDS} s"


def stop_lab(lab: Lab) -> None:
    """Shut the kernels down and then the server, through its API; terminate, then kill, whatever
    does not stop in time."""
    try:
        for kernel in lab.api("GET", "/api/kernels"):
            lab.api("DELETE", f"/api/kernels/{kernel['id']}")
        lab.api("POST", "/api/shutdown")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        pass  # already gone, or not answering: the signals below still stop it
    try:
        lab.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        lab.process.terminate()
        try:
            lab.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            lab.process.kill()
            lab.process.wait()


# --------------------------------------------------------------------------------------------
# The browser


def launch_chromium(playwright, home: Path):
    """Debian's Chromium, headless, with a fresh profile in `home` (Chromium's crash handler keeps
    its files under XDG_CONFIG_HOME, so it names `home` too)."""
    env = dict(os.environ, XDG_CONFIG_HOME=str(home / "xdg-config"), XDG_CACHE_HOME=str(home / "xdg-cache"))
    return playwright.chromium.launch_persistent_context(
        str(home / "chromium-profile"), executable_path=chromium_path(), headless=True,
        args=CHROMIUM_ARGS, env=env, viewport=VIEWPORT, device_scale_factor=1)


# --------------------------------------------------------------------------------------------
# What the notebook should show, read from the committed notebook


def stage_names(svg_text: str) -> list[str]:
    """The stage names of a pipeline drawing: the title of each stage box (a Graphviz cluster)."""
    tree = ET.fromstring(svg_text.encode())
    names = []
    for group in tree.iter(f"{SVG_NS}g"):
        if group.get("class") == "cluster":
            title = next(group.iter(f"{SVG_NS}text"), None)
            names.append("".join(title.itertext()) if title is not None else "")
    return names


@dataclass
class ExpectedCell:
    """What one code cell of the committed notebook showed: its pipeline drawings, as lists of
    stage names, and whether it showed a widget."""

    index: int
    drawings: list[list[str]] = field(default_factory=list)
    widget: bool = False


def expected_cells(notebook_name: str) -> dict[int, ExpectedCell]:
    """Cell index -> what it should show, for the cells of the committed notebook that show a
    pipeline drawing or a widget. nbval keeps the committed outputs equal to a fresh run."""
    notebook = json.loads((NOTEBOOKS / notebook_name).read_text())
    expected = {}
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            svg = data.get("image/svg+xml", "")
            drawing = stage_names("".join(svg)) if svg else []  # nbformat may split text into lines
            if not drawing and WIDGET_MIME not in data:
                continue
            entry = expected.setdefault(index, ExpectedCell(index))
            entry.widget = entry.widget or WIDGET_MIME in data
            if drawing:
                entry.drawings.append(drawing)
    return expected


# --------------------------------------------------------------------------------------------
# One notebook in the browser

# JavaScript run in the page. A drawing shown as an image is read back from the image's own source
# (a data: or blob: URL); one inside a widget is inline SVG in the DOM. Either way each Graphviz
# cluster is a stage box: its first text is the stage's name (as stage_names() reads it in
# Python), the texts after it the stage's status line and conditions.
STAGE_LABELS_JS = """
(svg) => Object.fromEntries(Array.from(svg.querySelectorAll('g.cluster')).map(g => {
  const lines = Array.from(g.querySelectorAll('text')).map(t => t.textContent);
  return [lines[0], lines.slice(1).join(' ')];
}))
"""

DRAWINGS_JS = """
async (cell) => {
  const stages = (svg) => Array.from(svg.querySelectorAll('g.cluster'))
      .map(g => (g.querySelector('text') || {textContent: ''}).textContent);
  const labels = %s;
  const found = [];
  for (const img of cell.querySelectorAll('.jp-OutputArea-output.jp-RenderedSVG img')) {
    let shown = true;
    try { await img.decode(); } catch (e) { shown = false; }
    const text = await (await fetch(img.src)).text();
    const svg = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
    found.push({kind: 'image', shown: shown && img.naturalWidth > 0, stages: stages(svg), labels: labels(svg)});
  }
  for (const svg of cell.querySelectorAll('.jp-OutputArea-output svg')) {
    if (!svg.querySelector('g.cluster')) continue;
    const box = svg.getBoundingClientRect();
    found.push({kind: 'inline', shown: box.width > 0 && box.height > 0, stages: stages(svg), labels: labels(svg)});
  }
  return found;
}
""" % STAGE_LABELS_JS.strip()

# How tall the window must be to show the whole notebook: the bottom of its last cell, measured
# from the top of the page as if the notebook were scrolled to its start. ("Scroll past end" adds
# room below the last cell that grows with the window, so the scroll height cannot tell.)
NOTEBOOK_BOTTOM_JS = """
() => {
  const scroller = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
  const cells = scroller ? scroller.querySelectorAll('.jp-Cell') : [];
  if (cells.length === 0) return null;  // no notebook on the page (yet)
  scroller.scrollTo(0, 0);
  return cells[cells.length - 1].getBoundingClientRect().bottom + 30;  // 30: the status bar below
}
"""

TABLE_JS = "(table) => Array.from(table.rows).map(row => Array.from(row.cells).map(c => c.textContent.trim()))"

# The points of a matplotlib scatter plot in SVG, as (x, y) attribute pairs.
POINTS_JS = """
(svg) => Array.from(svg.querySelectorAll('g[id^="PathCollection"] use'))
    .map(use => [use.getAttribute('x'), use.getAttribute('y')])
"""


class NotebookInLab:
    """One notebook opened in JupyterLab in a browser tab."""

    def __init__(self, page, lab: Lab, name: str):
        self.page = page
        self.lab = lab
        self.name = name
        self.page_errors: list[str] = []
        self.saved: dict = {}
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    @property
    def path_on_disk(self) -> Path:
        return self.lab.root / "notebooks" / self.name

    def open(self) -> None:
        assert self.path_on_disk.exists(), f"no notebook {self.name} in {NOTEBOOKS}"
        self.page.goto(f"{self.lab.url}/lab/tree/notebooks/{self.name}?token={self.lab.token}")
        self.page.locator(".jp-NotebookPanel").wait_for(timeout=KERNEL_IDLE_SECONDS * 1000)
        self.wait_for_idle_kernel(KERNEL_IDLE_SECONDS)

    def wait_for_idle_kernel(self, seconds: float) -> None:
        expect(self.page.locator("#jp-main-statusbar")).to_contain_text(re.compile(r"\|\s*Idle"),
                                                                        timeout=seconds * 1000)

    def menu(self, menu: str, item: str) -> None:
        self.page.locator(f".lm-MenuBar-itemLabel:text-is('{menu}')").click()
        self.page.locator(f".lm-Menu-itemLabel:text-is('{item}')").click()

    def cells(self):
        return self.page.locator(".jp-Notebook .jp-Cell")

    def run_all(self) -> None:
        """Run > Run All Cells, as a person would, and wait until every cell has run. The click
        sometimes does nothing right after the kernel became idle: then try again."""
        shown = self.page.locator(".jp-Notebook .jp-OutputArea-output")
        assert shown.count() == 0, f"{self.name} shows outputs before it ran: the copy should have none"
        first_prompt = self.page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").first
        for _ in range(3):
            self.wait_for_idle_kernel(KERNEL_IDLE_SECONDS)
            self.menu("Run", "Run All Cells")
            try:
                expect(first_prompt).to_have_text(re.compile(r"\[(\*|\d+)\]:"), timeout=10_000)
                break
            except AssertionError:
                continue
        else:
            raise AssertionError(f"{self.name}: Run All Cells did not start the first cell in three tries")
        running = self.page.locator(".jp-Notebook .jp-InputPrompt", has_text="[*]")
        expect(running).to_have_count(0, timeout=RUN_ALL_SECONDS * 1000)
        self.wait_for_idle_kernel(KERNEL_IDLE_SECONDS)

    def save(self) -> dict:
        """Save with Ctrl+S, as a person would; return the notebook as JupyterLab wrote it."""
        self.page.locator(".jp-NotebookPanel .jp-Notebook").first.focus()
        self.page.keyboard.press("Control+s")
        dirty = self.page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty")
        expect(dirty).to_have_count(0, timeout=30_000)
        return json.loads(self.path_on_disk.read_text())

    def error_outputs(self) -> list[str]:
        """The text of every output shown as an error (tracebacks and stderr are shown alike)."""
        errors = self.page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        return [text[:500] for text in errors.all_text_contents()]

    def drawings(self, index: int) -> list[dict]:
        """The pipeline drawings shown in cell `index`: kind (image/inline), shown, stages."""
        cell = self.cells().nth(index)
        cell.scroll_into_view_if_needed()
        return cell.evaluate(DRAWINGS_JS)

    def cell_output(self, index: int):
        return self.cells().nth(index).locator(".jp-OutputArea-output")

    def cell_index(self, source: str, *, whole: bool = False) -> int:
        """The index of the one cell whose source contains `source` (or is `source`, if whole)."""
        sources = ["".join(cell["source"]).strip() for cell in self.saved["cells"]]
        found = [index for index, text in enumerate(sources) if (text == source if whole else source in text)]
        assert len(found) == 1, f"{self.name}: {len(found)} cells {'are' if whole else 'contain'} {source!r}"
        return found[0]

    def output_text(self, index: int) -> str:
        """Everything cell `index` shows as text, output after output."""
        return "\n".join(self.cell_output(index).all_text_contents())

    def output_with(self, selector: str, text: str):
        """The one output area that holds an element `selector` with `text`, scrolled into view."""
        output = self.page.locator(".jp-OutputArea-output", has=self.page.locator(selector, has_text=text))
        expect(output).to_have_count(1)
        output.scroll_into_view_if_needed()
        return output

    def fit_window_to_notebook(self) -> None:
        """Make the window as tall as the whole notebook, so that nothing is scrolled out of view."""
        height = VIEWPORT["height"]
        for _ in range(10):  # cells take their real height once on screen: measure until it holds
            bottom = self.page.evaluate(NOTEBOOK_BOTTOM_JS)
            if bottom is None:
                return
            needed = min(math.ceil(bottom) + 40, TALLEST_SCREENSHOT)
            if needed == height:
                break
            height = needed
            self.page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
            self.page.wait_for_timeout(300)

    def screenshot(self, path: Path, element=None) -> Path:
        """A PNG of the whole notebook, or of one element of it, as a person sees it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fit_window_to_notebook()
        try:
            if element is None:
                self.page.evaluate(NOTEBOOK_BOTTOM_JS)  # scrolls the notebook to its start
                self.page.screenshot(path=str(path), full_page=True)
            else:
                element.screenshot(path=str(path))
        finally:
            self.page.set_viewport_size(VIEWPORT)
        return path


def screenshot_path(notebook_name: str, suffix: str = "") -> Path:
    return SCREENSHOTS / f"{Path(notebook_name).stem}{suffix}.png"


def open_and_run(context, lab: Lab, name: str) -> NotebookInLab:
    """Open `name` in a new tab, run all its cells, save it, and take its screenshot (also when
    the run failed, so that a person can see why)."""
    notebook = NotebookInLab(context.new_page(), lab, name)
    try:
        notebook.open()
        notebook.run_all()
        notebook.saved = notebook.save()
    except BaseException:
        try:
            notebook.screenshot(screenshot_path(name))
        except Exception:  # a page too broken to photograph must not hide why the run failed
            pass
        raise
    notebook.screenshot(screenshot_path(name))
    return notebook


# --------------------------------------------------------------------------------------------
# The checks every notebook gets


def check_every_cell_ran_once_in_order(notebook: NotebookInLab) -> None:
    """The saved notebook: each code cell has an execution count, 1, 2, 3... top to bottom."""
    counts = [cell.get("execution_count") for cell in notebook.saved["cells"] if cell["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"{notebook.name}: execution counts {counts}"


def check_no_errors(notebook: NotebookInLab) -> None:
    """No output is an error or stderr, neither on the page nor in the saved notebook, and the
    page itself raised nothing."""
    shown = notebook.error_outputs()
    assert shown == [], f"{notebook.name} shows errors: {shown}"
    saved = [(index, output.get("ename") or output.get("text", "")[:300])
             for index, cell in enumerate(notebook.saved["cells"])
             for output in cell.get("outputs", [])
             if output["output_type"] == "error" or output.get("name") == "stderr"]
    assert saved == [], f"{notebook.name} saved error outputs (cell index, error): {saved}"
    assert notebook.page_errors == [], f"{notebook.name}: the page raised {notebook.page_errors}"


def check_markdown_shows_no_math(notebook: NotebookInLab) -> None:
    """The workbook writes no formulas, so any math JupyterLab typesets in a markdown cell is text
    between two dollar signs ("a flat $1.00 ... reaches $1.00") run together in italics: escape
    them as \\$ in the notebook."""
    math = notebook.page.locator(".jp-MarkdownCell", has=notebook.page.locator("mjx-container"))
    texts = [text[:300] for text in math.all_text_contents()]
    assert texts == [], f"{notebook.name}: markdown typeset as math (escape its $ signs as \\$): {texts}"


def check_drawings(notebook: NotebookInLab) -> int:
    """Every cell that shows a pipeline drawing in the committed notebook shows it in the browser
    too, displayed (not a broken image), with the same stage names. Returns how many were seen."""
    seen = 0
    for index, expected in expected_cells(notebook.name).items():
        if not expected.drawings:
            continue
        shown = notebook.drawings(index)
        assert all(drawing["shown"] for drawing in shown), f"{notebook.name} cell {index}: not displayed: {shown}"
        assert [d["stages"] for d in shown] == expected.drawings, (
            f"{notebook.name} cell {index}: drawings with stages {[d['stages'] for d in shown]}, "
            f"expected {expected.drawings}")
        seen += len(shown)
    return seen


def check_live_widgets(notebook: NotebookInLab) -> int:
    """Every cell that displays a widget shows the live widget, not its static stand-in (the SVG
    or HTML kept for renderers without a kernel). Returns how many were seen."""
    seen = 0
    for index, expected in expected_cells(notebook.name).items():
        if not expected.widget:
            continue
        output = notebook.cell_output(index)
        assert output.locator(".jupyter-widgets").count() > 0, f"{notebook.name} cell {index}: no live widget"
        static = output.locator(".jp-RenderedSVG, .jp-RenderedHTML")
        assert static.count() == 0, (
            f"{notebook.name} cell {index}: shows the static view {static.all_inner_texts()[:1]} instead of the widget")
        seen += 1
    return seen
