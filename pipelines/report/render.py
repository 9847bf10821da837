"""Render the report set: papermill runs each notebook in the project's kernel, nbconvert turns
it into a single offline HTML page (inputs hidden, no CDN), and an index links every period."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.files import write_text_atomic
from pipelines.report.layout import (NOTEBOOKS, NOTEBOOK_DIR, PLOTLY_JS_LATER, PLOTLY_JS_MARK, TEMPLATES, plotly_script,
                                     write_index)

KERNEL = "xuncha"
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*['\"]?(?:https?:)?//[^>]*>\s*</script>", re.I)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*['\"]?(?:https?:)?//[^>]*>", re.I)


class ReportError(RuntimeError):
    pass


class BadFilter(ReportError):
    """A --round / --unit-type that names nothing or matches no record (a usage error)."""


try:
    from jupyter_client.manager import AsyncKernelManager
except ImportError:  # pragma: no cover - jupyter_client comes with papermill
    AsyncKernelManager = object


try:
    from jupyter_client.asynchronous import AsyncKernelClient
except ImportError:  # pragma: no cover
    AsyncKernelClient = object


class _KeptClient(AsyncKernelClient):
    """The one client of a kernel that renders many pages: its channels stay open from page to page, and
    papermill, which asks to start them and to wait for the kernel for every page, finds them running and
    the kernel known to be ready (jupyter_client's wait_for_ready costs ~0.2 s each time: it waits 0.2 s for
    IOPub after the kernel_info reply). A kernel that has died meanwhile is noticed while the page runs."""

    _ready_once = False

    def start_channels(self, *args, **kw):
        if not self.channels_running:
            super().start_channels(*args, **kw)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        if not self._ready_once:
            await super().wait_for_ready(timeout=timeout)
            self._ready_once = True


class IPCKernelManager(AsyncKernelManager):
    """Kernels talk over Unix sockets in a private temp folder on POSIX: no TCP port races when two
    notebooks start at once, and no plain-text TCP traffic. Windows keeps the default TCP transport.
    Each manager has its own folder, removed when its kernel shuts down.

    With `keep_client` (KernelSession sets it) every client() is the same _KeptClient, so that a kernel
    kept for many pages does not collect one set of channels (and a heartbeat thread) per page."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self._ipc: Path | None = None
        self.keep_client = False
        self._kept = None
        if os.name == "posix":
            self._ipc = Path(tempfile.mkdtemp(prefix="xuncha-ipc-"))
            self.transport = "ipc"
            self.ip = str(self._ipc / "k")

    async def start_kernel(self, **kw):
        # the kernel's own console chatter (shutdown notices) is not the report's business
        kw.setdefault("stderr", subprocess.DEVNULL)
        return await super().start_kernel(**kw)

    def client(self, **kw):
        if not self.keep_client:
            return super().client(**kw)
        if self._kept is None:
            self.client_factory = _KeptClient
            self._kept = super().client(**kw)
        return self._kept

    def _stop_kept(self) -> None:
        kc, self._kept = self._kept, None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001 - the channels of a dead kernel may be gone already
                pass

    async def shutdown_kernel(self, now: bool = False, restart: bool = False):
        self._stop_kept()
        try:
            return await super().shutdown_kernel(now=now, restart=restart)
        finally:
            if self._ipc is not None and not restart:
                shutil.rmtree(self._ipc, ignore_errors=True)


KM_CLASS = f"{__name__}.IPCKernelManager"


def ensure_kernel() -> None:
    """A kernelspec named 'xuncha' that runs this very interpreter (the project's venv)."""
    kdir = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "xuncha (Python)", "language": "python", "metadata": {"debugger": False}}
    path = kdir / "kernel.json"
    try:
        if path.exists() and json.loads(path.read_text(encoding="utf-8")).get("argv") == spec["argv"]:
            return
        kdir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"无法注册 Jupyter 内核（{exc}）：请运行 `python -m ipykernel install --sys-prefix --name xuncha`") from exc


def strip_remote(html: str) -> str:
    """Belt and braces: no <script src> or stylesheet link may point off the page."""
    return _REMOTE_LINK.sub("", _REMOTE_SCRIPT.sub("", html))


@functools.lru_cache(maxsize=1)
def _exporter():
    """One HTML exporter per process: building it (loading and compiling the templates) costs more than
    exporting a page with it."""
    from traitlets.config import Config

    _PageExporter = _page_exporter_class()
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"injected-parameters", "parameters"}
    c.HTMLExporter.preprocessors = ["nbconvert.preprocessors.TagRemovePreprocessor"]
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.exclude_markdown = True
    c.HTMLExporter.optimistic_validation = True  # the notebook is checked once, not after each of 13 preprocessors
    return _PageExporter(config=c, template_name="xuncha", extra_template_basedirs=[str(TEMPLATES)])


def _page_exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        """nbconvert's HTMLExporter without its closing BeautifulSoup pass over the whole page (parsing and
        re-serialising every table cell cost ~80 ms a page, more than the rest of the export). That pass
        gives images without alt text a placeholder (the pages have no images) and makes inputs and outputs
        focusable (tabindex="0"); the outputs get their tabindex here, the inputs are excluded anyway."""

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _FOCUSABLE.sub(r'\1 tabindex="0"', html), resources

    return PageExporter


# an output area's opening tag, as the lab template writes it (class first), to make it focusable
_FOCUSABLE = re.compile(r'(<div class="[^"]*\bjp-OutputArea-output\b[^"]*")')


def _notebook(name: str) -> Path:
    src = NOTEBOOK_DIR / f"{name}.ipynb"
    if not src.exists():
        raise ReportError(f"找不到报告笔记本 {src}")
    return src


def _execute(name: str, params: dict, km=None):
    """Papermill runs the notebook (its injected-parameters cell, then every cell) in a new kernel, or with
    `km` in that already running one. A failing cell becomes the page's Chinese error; a kernel that dies
    raises RuntimeError (nbclient's DeadKernelError is one)."""
    import papermill as pm

    kw = {"km": km} if km is not None else {"kernel_manager_class": KM_CLASS}
    try:
        return pm.execute_notebook(str(_notebook(name)), None, parameters=params, kernel_name=KERNEL,
                                   progress_bar=False, log_output=False, cwd=str(NOTEBOOK_DIR),
                                   request_save_on_cell_execute=False, **kw)
    except pm.PapermillExecutionError as exc:
        raise ReportError(f"报告「{name}」运行出错（第 {exc.exec_count} 个单元格）：{exc.ename}: {exc.evalue}") from None


def _write_page(nb, name: str, params: dict, out_html: str, title_prefix: str, title_suffix: str) -> str:
    """The executed notebook as one offline HTML page (inputs hidden, no CDN), written atomically."""
    nb.metadata["title"] = f"{title_prefix}{nb.metadata.get('title', name)}{title_suffix}（{params['as_of']}）"
    css = (TEMPLATES / "base.css").read_text(encoding="utf-8")
    body, _ = _exporter().from_notebook_node(nb, resources={"xuncha_css": css})
    body = strip_remote(body)
    if PLOTLY_JS_MARK in body:  # the kernel left the bundle to us (KernelSession): once, where it belongs
        body = body.replace(PLOTLY_JS_MARK, plotly_script(), 1)
    out = Path(out_html)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out, body)
    except OSError as exc:
        raise ReportError(f"写入报告 {out} 失败（{exc.strerror}）：请检查磁盘空间和文件夹权限，或用 --out 指定其他位置"
                          "；已有的报告未被改动") from None
    return str(out)


def render_one(name: str, params: dict, out_html: str, title_prefix: str = "", title_suffix: str = "") -> str:
    """Execute one notebook in a kernel of its own (started for it, shut down after) and export it as
    offline HTML. Returns the output path. render_jobs gives the same page for the same job."""
    _notebook(name)
    for attempt in range(3):
        try:
            nb = _execute(name, params)
            break
        except ReportError:  # a cell failed (a ReportError is a RuntimeError too, but not a kernel's)
            raise
        except RuntimeError as exc:  # the kernel died while starting (e.g. a port taken meanwhile): retry
            if attempt == 2:
                raise ReportError(f"报告「{name}」的 Jupyter 内核无法启动：{exc}") from None
    return _write_page(nb, name, params, out_html, title_prefix, title_suffix)


# --- many pages in few kernels -------------------------------------------------------------------------
# Run silently (no execution count, no output) in the kept kernel before each page: the kernel is then as
# a new one would be for the next notebook, except that libraries stay imported (which is the point:
# importing pandas, plotly and DuckDB is most of a kernel start, and importing the project's modules and
# reading its contract another ~0.1 s a page). The user namespace and output history are emptied, the
# execution counter starts at 1 again (the Chinese error names the cell by it), and every project module
# that may hold a page's state is dropped so that the notebook imports it anew: all of pipelines.* except
# KEPT_MODULES, whose only module-level state is caches of pure functions over files that do not change
# while pages render (the contract, read-only, is loaded once per kernel; facts of the warehouse file, by
# its path, size, time and inode), and the kit, whose page state (kit._state) is emptied (kit.new_page).
# The global state a page could change (working folder, environment, sys.path, pandas options, plotly
# defaults, the kept modules' globals, the contract's settings, IPython's hooks) is compared with a snapshot
# taken when the kernel started; if anything differs the check raises and the engine starts a fresh kernel.
KEPT_MODULES = ("pipelines", "pipelines.contract", "pipelines.fingerprint", "pipelines.files", "pipelines.history",
                "pipelines.memo", "pipelines.metrics", "pipelines.redact", "pipelines.warehouse",
                "pipelines.warehouse.db", "pipelines.report", "pipelines.report.filters", "pipelines.report.layout",
                "pipelines.report.narrative", "pipelines.report.kit")
_BETWEEN_PAGES = r"""
def _xuncha_between_pages():
    import gc, importlib, json, os, sys, types, warnings
    st = sys.modules.get("_xuncha_kernel_state")
    kept = set(%r) if st is None or not getattr(st, "kept_nothing", False) else set()

    def drop():
        for m in [m for m in sys.modules if (m == "pipelines" or m.startswith("pipelines.")) and m not in kept]:
            parent, _, leaf = m.rpartition(".")
            if parent in sys.modules and getattr(sys.modules[parent], leaf, None) is sys.modules[m]:
                delattr(sys.modules[parent], leaf)  # else `from pipelines.report import kit` finds the old one
            del sys.modules[m]
    drop()
    if "pipelines.report.kit" in kept and "pipelines.report.kit" in sys.modules:
        sys.modules["pipelines.report.kit"].new_page()  # the one module that holds a page's state: emptied
    for a in ("last_type", "last_value", "last_traceback", "last_exc"):  # a failed cell's frames
        if hasattr(sys, a):
            delattr(sys, a)
    ip = get_ipython()
    for cb in list(ip.events.callbacks.get("post_run_cell", [])):  # the page's kit showed its HTML per cell
        if getattr(cb, "xuncha_kit_flush", False):
            ip.events.unregister("post_run_cell", cb)
    # IPython's own reset: namespace, output cache, a new history session, execution count 1 (and one
    # full garbage collection, in its flush of the output cache)
    ip.reset(new_session=True)

    def snapshot():
        import pandas
        import plotly.io as pio
        from pandas._config import config as pdc
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opts = sorted((k, repr(pandas.get_option(k))) for k in pdc._registered_options)
        mods = sorted((m, sorted((k, id(v)) for k, v in vars(sys.modules[m]).items()
                                 if not isinstance(v, types.ModuleType)))
                      for m in kept if m in sys.modules)
        contract = sys.modules.get("pipelines.contract")
        settings = json.dumps(contract.default_contract().settings, sort_keys=True, default=str) if contract else None
        hooks = sorted((k, len(v)) for k, v in ip.events.callbacks.items())  # a page's own IPython hooks
        return repr((os.getcwd(), sorted(os.environ.items()), list(sys.path), opts,
                     pio.templates.default, pio.renderers.default, mods, settings, hooks))

    if st is None:  # a new kernel: load the libraries every page uses, once, then take the snapshot
        st = sys.modules["_xuncha_kernel_state"] = types.ModuleType("_xuncha_kernel_state")
        import duckdb, IPython.display, pandas, plotly.graph_objects  # noqa
        try:
            for m in sorted(kept):
                importlib.import_module(m)
            sys.modules["pipelines.contract"].default_contract()
        except Exception:  # the page itself will say what is wrong (a broken config/, say), in Chinese
            kept.clear()
            st.kept_nothing = True
        drop()  # what loading them imported besides (the workspace loader, say) goes like any other module
        st.baseline = snapshot()
        # what is alive now belongs to the libraries: later collections (the one in reset above, and those
        # while a page runs) need not scan it again; freezing once, not after every page, so that nothing a
        # page left behind is kept for good
        gc.collect()
        gc.freeze()
    elif snapshot() != st.baseline:
        raise RuntimeError("kernel global state changed")
__import__("sys").modules.setdefault("_xuncha_between", __import__("types").ModuleType("_xuncha_between")).fn = \
    _xuncha_between_pages
_xuncha_between_pages()
""" % (KEPT_MODULES,)
# after the first: the function kept in the kernel, called by a line that binds no name (the reset empties
# the namespace), so that 60 lines are not sent, tokenised and compiled again for every page
_NEXT_PAGE = '__import__("sys").modules["_xuncha_between"].fn()'


class KernelSession:
    """One kernel kept for many pages, one after another (one per worker process).

    Each page is papermill's run of the notebook in the running kernel and nbconvert's export, exactly as
    render_one does it. Between pages the kernel is reset (_BETWEEN_PAGES); it is replaced by a new one
    when that reset fails, after `max_jobs` pages, or when its memory (RSS, measured after the reset)
    exceeds `max_rss_mb`. A kernel that dies during a page is replaced and the page tried once more."""

    def __init__(self, max_jobs: int = 100, max_rss_mb: float = 1024):
        self.max_jobs, self.max_rss_mb = max(1, int(max_jobs)), float(max_rss_mb)
        self.km = None
        self.jobs_in_kernel = 0
        self._pending: str | None = None  # the msg_id of a reset asked for and not yet answered
        self.stats = {"pages": 0, "kernels_started": 0, "restarts_max_jobs": 0, "restarts_rss": 0,
                      "restarts_state": 0, "restarts_died": 0, "kernel_rss_mb_max": 0.0}

    # kernel life
    def _start(self, name: str) -> None:
        from jupyter_core.utils import run_sync

        for attempt in range(3):
            km = IPCKernelManager(kernel_name=KERNEL)
            km.keep_client = True
            try:
                # as nbclient starts the kernel papermill asks for: in the notebooks' folder, no history file
                run_sync(km.start_kernel)(cwd=str(NOTEBOOK_DIR), extra_arguments=["--HistoryManager.hist_file=:memory:"],
                                          env={**os.environ, PLOTLY_JS_LATER: "1"})
                self.km = km
                self._control(_BETWEEN_PAGES)  # takes the snapshot later pages are checked against
                break
            except RuntimeError as exc:
                self.close()
                if attempt == 2:
                    raise ReportError(f"报告「{name}」的 Jupyter 内核无法启动：{exc}") from None
        self.jobs_in_kernel = 0
        self.stats["kernels_started"] += 1

    def close(self) -> None:
        """Shut the kernel down (and remove its socket folder)."""
        from jupyter_core.utils import run_sync

        km, self.km, self._pending = self.km, None, None
        if km is None:
            return
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - it may be dead already; its folder goes anyway
            if km._ipc is not None:
                shutil.rmtree(km._ipc, ignore_errors=True)

    def _alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return self.km is not None and bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001
            return False

    def _client(self):
        from jupyter_core.utils import run_sync

        kc = self.km.client()
        if not kc.channels_running:
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=60)
        return kc

    def _control(self, code: str, timeout: float = 120) -> None:
        """Run code in the kernel silently (no output, no execution count); RuntimeError when it fails."""
        from jupyter_core.utils import run_sync

        reply = run_sync(self._client().execute_interactive)(code, silent=True, store_history=False,
                                                             timeout=timeout, output_hook=lambda msg: None)
        self._check(reply)

    @staticmethod
    def _check(reply: dict) -> None:
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    def _begin_reset(self) -> None:
        """Ask the kernel to reset while this process exports the page just run (the reply is read by
        _ready, before the next page)."""
        if self.km is None or self.jobs_in_kernel >= self.max_jobs:
            return
        try:
            self._pending = self._client().execute(_NEXT_PAGE, silent=True, store_history=False)
        except Exception:  # noqa: BLE001 - _ready resets (or replaces) the kernel itself
            self._pending = None

    def _reset(self, timeout: float = 120) -> None:
        from jupyter_core.utils import run_sync

        msg_id, self._pending = self._pending, None
        if msg_id is None:
            return self._control(_NEXT_PAGE, timeout)
        kc = self._client()
        deadline = time.monotonic() + timeout
        while True:  # the reply to that request; nbclient's replies of the page before are passed over
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("kernel reset timed out")
            try:
                reply = run_sync(kc.shell_channel.get_msg)(timeout=min(left, 1))
            except queue.Empty:
                if not self._alive():
                    raise RuntimeError("kernel died") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return self._check(reply)

    def kernel_rss_mb(self) -> float:
        import psutil

        try:
            return psutil.Process(self.km.provisioner.pid).memory_info().rss / 2**20
        except (psutil.Error, AttributeError, TypeError):
            return 0.0

    def _ready(self, name: str) -> None:
        """A kernel in the state of a new one for the next page."""
        if self.km is not None and self.jobs_in_kernel:
            reason = None
            if self.jobs_in_kernel >= self.max_jobs:
                reason = "restarts_max_jobs"
            else:
                try:
                    self._reset()
                except RuntimeError:
                    reason = "restarts_state" if self._alive() else "restarts_died"
                if reason is None:
                    rss = self.kernel_rss_mb()
                    self.stats["kernel_rss_mb_max"] = max(self.stats["kernel_rss_mb_max"], round(rss, 1))
                    if rss > self.max_rss_mb:
                        reason = "restarts_rss"
            if reason is None:
                return
            self.stats[reason] += 1
            self.close()
        if self.km is None:
            self._start(name)

    def render(self, name: str, params: dict, out_html: str, title_prefix: str = "", title_suffix: str = "") -> str:
        """One page, as render_one(name, params, out_html, title_prefix, title_suffix) would write it."""
        _notebook(name)
        for attempt in range(2):
            self._ready(name)
            self.jobs_in_kernel += 1  # from here on the kernel has run (part of) a notebook: reset before the next
            try:
                nb = _execute(name, params, km=self.km)
                break
            except ReportError:  # a cell failed: the kernel is fine, the page is not
                self._begin_reset()
                raise
            except RuntimeError as exc:
                if self._alive():
                    raise ReportError(f"报告「{name}」运行出错：{type(exc).__name__}: {exc}") from None
                self.stats["restarts_died"] += 1
                self.close()
                if attempt:
                    raise ReportError(f"报告「{name}」运行时 Jupyter 内核意外退出（已换新内核重试一次，仍然退出）：{exc}"
                                      "。可能是内存不足：请关闭其他程序，或在 settings.yaml 中调小 "
                                      "report_kernel_max_rss_mb") from None
        self._begin_reset()
        path = _write_page(nb, name, params, out_html, title_prefix, title_suffix)
        self.stats["pages"] += 1
        return path


def engine_limits(jobs: list[tuple]) -> dict:
    """The kernel limits in the settings the jobs carry, over the packaged ones (settings.yaml:
    report_kernel_max_jobs pages, report_kernel_max_rss_mb MB)."""
    from pipelines.contract import default_contract

    given = next((j[1]["settings"] for j in jobs if isinstance(j[1].get("settings"), dict) and j[1]["settings"]), {})
    merged = {**default_contract().settings, **given}
    out = {}
    for key, arg, kind in (("report_kernel_max_jobs", "max_jobs", int), ("report_kernel_max_rss_mb", "max_rss_mb", float)):
        value = merged.get(key)
        try:
            out[arg] = kind(value)
            if out[arg] <= 0 or isinstance(value, bool):
                raise ValueError
        except (TypeError, ValueError):
            raise ReportError(f"settings.yaml 中 {key} 应为正数（{'页数' if kind is int else '兆字节'}），现在是「{value}」："
                              "请改正或删去这一行（删去即用默认值）") from None
    return out


def _worker(wid: int, jobs: list[tuple], todo, done, stop, limits: dict) -> None:
    """A worker process: one KernelSession, pages taken from the shared queue until it is empty."""
    import asyncio
    import signal

    if os.name == "posix":  # never the parent's loop (a forked loop shares its epoll); Windows spawns anyway
        asyncio.set_event_loop(asyncio.new_event_loop())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that `finally` shuts the kernel down
    session = KernelSession(**limits)
    try:
        while not stop.is_set():
            i = todo.get()
            if i is None:
                break
            done.put(("start", wid, i, None))
            try:
                done.put(("done", wid, i, session.render(*jobs[i])))
            except ReportError as exc:
                done.put(("error", wid, i, str(exc)))
            except Exception as exc:  # noqa: BLE001 - whatever it is, the page names it and the set stops
                done.put(("error", wid, i, f"报告「{jobs[i][0]}」渲染失败：{type(exc).__name__}: {exc}"))
    finally:
        session.close()
        done.put(("stats", wid, None, session.stats))


LAST_RUN: dict = {}  # what the latest render_jobs in this process did (the benchmark reads it)


def render_jobs(jobs: list[tuple], workers: int | None = None) -> list[str]:
    """Render pages: each job is (notebook name, parameters, output .html, title prefix, title suffix), and
    each page is what render_one(*job) writes. Returns the output paths in the jobs' order.

    `workers` processes (default: one per core, at most one per job) each keep one Jupyter kernel and
    render page after page in it (KernelSession), taking the next job from a shared queue. When a page
    fails, no further page is started and the set fails with that page's error (pages already written
    stay). workers=1 renders in this process."""
    jobs = [tuple(j) for j in jobs]
    LAST_RUN.clear()
    if not jobs:
        return []
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    limits = engine_limits(jobs)
    stats: list[dict] = []
    spans: dict[int, list[float]] = {}  # job → [started, finished], seconds since the start (the benchmark's)
    t0 = time.monotonic()
    try:
        if workers == 1:
            session = KernelSession(**limits)
            try:
                out = []
                for i, j in enumerate(jobs):
                    spans[i] = [time.monotonic() - t0]
                    out.append(session.render(*j))
                    spans[i].append(time.monotonic() - t0)
                return out
            finally:
                session.close()
                stats.append(session.stats)
        return _render_parallel(jobs, workers, limits, stats, spans, t0)
    finally:
        LAST_RUN.update({"workers": workers, "jobs": len(jobs), **_sum_stats(stats),
                         "spans": [(jobs[i][0], *spans[i]) for i in sorted(spans) if len(spans[i]) == 2]})


def _sum_stats(stats: list[dict]) -> dict:
    out: dict = {}
    for s in stats:
        for k, v in s.items():
            out[k] = max(out.get(k, 0), v) if k.endswith("_max") else out.get(k, 0) + v
    return out


def _render_parallel(jobs: list[tuple], workers: int, limits: dict, stats: list[dict], spans: dict,
                     t0: float) -> list[str]:
    import multiprocessing as mp

    ctx = mp.get_context()
    if ctx.get_start_method() == "fork":  # the workers inherit papermill and a ready exporter (templates compiled)
        import papermill  # noqa: F401

        _exporter()
    todo, done, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    for i in range(len(jobs)):
        todo.put(i)
    for _ in range(workers):
        todo.put(None)
    procs = [ctx.Process(target=_worker, args=(w, jobs, todo, done, stop, limits), daemon=True)
             for w in range(workers)]
    for p in procs:
        p.start()
    paths: dict[int, str] = {}
    errors: dict[int, str] = {}
    current: dict[int, int | None] = {}
    finished: set[int] = set()
    try:
        while len(finished) < workers:
            try:
                kind, wid, i, value = done.get(timeout=1)
            except queue.Empty:
                for w, p in enumerate(procs):  # a worker that died (killed, out of memory) without a word
                    if w not in finished and p.exitcode is not None:
                        finished.add(w)
                        if current.get(w) is not None:
                            errors[current[w]] = (f"报告「{jobs[current[w]][0]}」的渲染进程意外退出（退出码 {p.exitcode}）"
                                                  "：可能是内存不足，请关闭其他程序后重试")
                        stop.set()
                continue
            if kind == "start":
                current[wid] = i
                spans[i] = [time.monotonic() - t0]
            elif kind == "done":
                paths[i], current[wid] = value, None
                spans[i].append(time.monotonic() - t0)
            elif kind == "error":
                errors[i], current[wid] = value, None
                stop.set()
            elif kind == "stats":
                stats.append(value)
                finished.add(wid)
    except BaseException:
        stop.set()
        for p in procs:
            if p.is_alive():
                p.terminate()
        raise
    finally:
        for p in procs:
            p.join(timeout=30)
    if errors:
        first = min(errors)
        left = len(jobs) - len(paths) - 1
        raise ReportError(errors[first] + (f"（另有 {left} 个报告页因此未生成）" if left > 0 else ""))
    if len(paths) < len(jobs):  # every worker ended (killed between pages) before the queue was empty
        raise ReportError(f"有 {len(jobs) - len(paths)} 个报告页未生成：渲染进程意外退出（可能是内存不足），请关闭其他程序后重试")
    return [paths[i] for i in range(len(jobs))]


def _safe_out(out_dir: Path, period: str) -> Path:
    if not re.fullmatch(r"\d{4}-\d{2}", period):
        raise ReportError(f"期间「{period}」格式不对：应为 YYYY-MM")
    target = (out_dir / period).resolve()
    if out_dir.resolve() not in target.parents:
        raise ReportError(f"输出路径不在报告文件夹内：{target}")
    return target


def notebook_settings(contract) -> dict:
    """The settings every notebook receives as parameters (JSON-able: thresholds, the county's name)."""
    return json.loads(json.dumps(contract.settings, ensure_ascii=False, default=str))


def page_params(db_path, as_of: dt.date, contract, round_filter: str = "", unit_type_filter: str = "",
                redact: bool = True, county: str = "") -> dict:
    """The parameters every page's notebook receives (its parameters cell names them all)."""
    return {"db": str(db_path), "as_of": as_of.isoformat(), "period": "", "round_filter": round_filter,
            "unit_type_filter": unit_type_filter, "redact": bool(redact), "settings": notebook_settings(contract),
            "personal": personal_columns(contract), "county": county}


def personal_columns(contract) -> list[str]:
    """"table.column" of every `personal:` column of the contract: notebooks mask their values."""
    return [f"stg_{kind}.{col}" for kind, k in contract.kinds.items() for col in k.personal]


def render_set(db_path: Path, out_dir: Path, *, as_of: dt.date | None = None, redact: bool = True,
               round_filter: str = "", unit_type_filter: str = "", notebooks: list[str] | None = None,
               workers: int | None = None, record_history: bool = True, contract=None, county: str = "") -> dict:
    """Render one period's pages. The warehouse is only read (its file is never written); the period's
    metrics go to the history store. `contract` is the one ingest used (default: the packaged one).

    A warehouse of several counties: without `county`, the region (render_region: the overview and every
    county's set, in one render_jobs call); with `county`, that county's set in reports/<YYYY-MM>/<县名>/."""
    from pipelines import history
    from pipelines.contract import default_contract
    from pipelines.metrics import compute, default_as_of
    from pipelines.report.kit import validation_status
    from pipelines.warehouse.db import connect_ro, counties, data_hash, scope

    contract = contract or default_contract()
    db_path, out_dir = Path(db_path).resolve(), Path(out_dir)
    from pipelines.report import kit
    from pipelines.report.filters import FilterError, resolve

    with connect_ro(db_path) as con:
        several = len(counties(con)) > 1
        if several and not county:
            return render_region(db_path, out_dir, as_of=as_of, redact=redact, round_filter=round_filter,
                                 unit_type_filter=unit_type_filter, notebooks=notebooks, workers=workers,
                                 record_history=record_history, contract=contract)
        scope(con, county or None)  # UnknownCounty for a county the warehouse lacks
        as_of = as_of or default_as_of(con)
        try:  # before anything is written: a filter that names nothing is the user's to fix
            flt = resolve(con, round_filter, unit_type_filter)
        except FilterError as exc:
            raise BadFilter(str(exc)) from None
        m = compute(con, as_of)
        v = validation_status(con)
        dh = data_hash(con)
        county_name = kit.county(con)
    period = as_of.strftime("%Y-%m")
    target = _safe_out(out_dir, period)
    if several:
        target = _county_dir(target, county)
    try:
        target.mkdir(parents=True, exist_ok=True)
        probe = target / f".write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ReportError(f"报告文件夹 {target} 不可写（{exc.strerror}）：请检查磁盘空间和文件夹权限，或用 --out 指定其他位置") from None
    if record_history:
        try:
            history.record(db_path, period, as_of, m, v["status"], dh, county=county if several else "")
        except OSError as exc:
            raise ReportError(str(exc)) from None
    ensure_kernel()
    names = notebooks or [n for n, _ in NOTEBOOKS]
    params = page_params(db_path, as_of, contract, round_filter, unit_type_filter, redact,
                         county if several else "")
    jobs = [(n, params, str(target / f"{n}.html"), county_name, f"（{flt.text}）" if flt.text else "") for n in names]
    files = render_jobs(jobs, workers)
    index = write_index(out_dir, "" if several else county_name)
    return {"files": files, "index": str(index), "period": period, "as_of": as_of.isoformat(),
            "validation_status": v["status"]}


def _county_dir(period_dir: Path, county: str) -> Path:
    """reports/<YYYY-MM>/<县名>/: a county's name is a folder name, checked to stay inside the period's folder."""
    if not county or re.search(r'[\\/:*?"<>|]|^\.', county):
        raise ReportError(f"县名「{county}」不能用作文件夹名")
    target = (period_dir / county).resolve()
    if target.parent != period_dir.resolve():
        raise ReportError(f"输出路径不在报告文件夹内：{target}")
    return target


def region_jobs(db_path: Path, target: Path, as_of: dt.date, names: list[str], per_county: dict[str, str],
                base: dict, region: str) -> list[tuple]:
    """The job list of a region's period: every county's set in <period>/<县名>/ and the overview in
    <period>/overview.html (job = notebook, parameters, out .html, title prefix, title suffix)."""
    jobs = []
    for c, suffix in per_county.items():
        out = _county_dir(target, c)
        out.mkdir(parents=True, exist_ok=True)
        jobs += [(n, {**base, "county": c}, str(out / f"{n}.html"), c, suffix) for n in names]
    jobs.append(("overview", {**base, "county": ""}, str(target / "overview.html"), region, ""))
    return jobs


def render_region(db_path: Path, out_dir: Path, *, as_of: dt.date | None = None, redact: bool = True,
                  round_filter: str = "", unit_type_filter: str = "", notebooks: list[str] | None = None,
                  workers: int | None = None, record_history: bool = True, contract=None) -> dict:
    """A region's period (a warehouse of several counties): each county's own report set, as if it were alone,
    in reports/<YYYY-MM>/<县名>/, and the overview reports/<YYYY-MM>/overview.html, all handed to one
    render_jobs call. The date is the same for every county (the latest 统计截至 of the region, unless given);
    the history store gets the region's totals and each county's metrics (for month-over-month per county)."""
    from pipelines import history
    from pipelines.contract import default_contract
    from pipelines.metrics import compute_region, default_as_of
    from pipelines.report.filters import FilterError, resolve
    from pipelines.report.kit import validation_status
    from pipelines.warehouse.db import connect_ro, counties, data_hash, scope, unscope

    contract = contract or default_contract()
    db_path, out_dir = Path(db_path).resolve(), Path(out_dir)
    with connect_ro(db_path) as con:
        as_of = as_of or default_as_of(con)
        suffixes: dict[str, str] = {}
        filtered = bool(str(round_filter or "").strip() or str(unit_type_filter or "").strip())
        for c in counties(con):
            if not filtered:  # nothing to check in each county (and scoping a hundred counties takes seconds)
                suffixes[c] = ""
                continue
            try:  # a filter must name something in each county (a page of zeros is never drawn)
                flt = resolve(scope(con, c), round_filter, unit_type_filter)
            except FilterError as exc:
                raise BadFilter(f"{c}：{exc}") from None
            suffixes[c] = f"（{flt.text}）" if flt.text else ""
        unscope(con)
        m = compute_region(con, as_of)
        v = validation_status(con)
        dh = data_hash(con)
    region = str(contract.settings.get("region_name") or "全市")
    period = as_of.strftime("%Y-%m")
    target = _safe_out(out_dir, period)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"报告文件夹 {target} 不可写（{exc.strerror}）：请检查磁盘空间和文件夹权限，或用 --out 指定其他位置") from None
    if record_history:
        by = m.pop("by_county")
        try:
            history.record(db_path, period, as_of, m, v["status"], dh, by_county=by)
        except OSError as exc:
            raise ReportError(str(exc)) from None
    ensure_kernel()
    names = notebooks or [n for n, _ in NOTEBOOKS]
    base = page_params(db_path, as_of, contract, round_filter, unit_type_filter, redact)
    files = render_jobs(region_jobs(db_path, target, as_of, names, suffixes, base, region), workers)
    index = write_index(out_dir, region)
    return {"files": files, "index": str(index), "period": period, "as_of": as_of.isoformat(),
            "validation_status": v["status"], "counties": list(suffixes), "overview": str(target / "overview.html")}
