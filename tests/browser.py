"""Headless Chromium for tests: Debian's /usr/bin/chromium driven by the `playwright` package.

Playwright never downloads a browser here: it launches the system Chromium via executable_path.
.ci/setup-system.sh installs the `chromium` package. Without it the browser tests skip locally and
fail under CI (CI=true), so a missing install step cannot hide behind a green run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# Flags that work on this machine's closed network (no background fetches, no sandbox as root).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    env = os.environ.get("SALESTIER_CHROMIUM")
    if env:
        return env
    found = next((p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None)
    return found or shutil.which("chromium")


def require_browser() -> str:
    """Chromium's path, or skip (fail under CI) with the install hint."""
    path = chromium_path()
    problem = None if path else "Chromium not found; run `sudo bash .ci/setup-system.sh`"
    if not problem:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "python package playwright missing; `.venv/bin/pip install -e '.[dev]'`"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return path


@contextmanager
def chromium_page(width: int = 1360, height: int = 900) -> Iterator:
    """A fresh persistent context (own --user-data-dir) and one page; closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = require_browser()
    profile = tempfile.mkdtemp(prefix="salestier-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": width, "height": height}, device_scale_factor=1,
            )
            try:
                yield context.pages[0] if context.pages else context.new_page()
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
