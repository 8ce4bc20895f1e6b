"""The report opened in headless Chromium: it renders its tables and its chart images."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from report_page import Page, png_of

from slmconvert.report import charts, write_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def browser() -> str:
    """The Chromium binary, or a skip saying how to get one."""
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        pytest.skip(
            "chromium not found: install Debian's chromium (apt-get install chromium) "
            "to run the report screenshot test"
        )
    return found


def headless(browser: str, profile: Path, *args: str) -> str:
    """Run Chromium headless with a throwaway profile; returns what it printed."""
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_the_report_renders_its_tables_and_charts(browser, workdir, tmp_path):
    from PIL import Image

    report = write_report(workdir, tmp_path / "report.html")
    shot = tmp_path / "report.png"

    headless(
        browser,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,4000",
        report.as_uri(),
    )

    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 4000)
    pixels = image.getcolors(maxcolors=image.width * image.height)
    count = {colour: n for n, colour in pixels}
    non_white = sum(n for colour, n in count.items() if colour != (255, 255, 255))
    assert len(count) > 100 and non_white > 0.05 * image.width * image.height
    # solid bars only a drawn chart has: the eval "after" bars and the savings LLM/SLM bars
    for colour in (charts.AFTER, charts.LLM, charts.SLM):
        assert count.get(hex_rgb(colour), 0) > 500, f"no {colour} pixels: chart not drawn"

    page = Page(headless(browser, tmp_path / "profile", "--dump-dom", report.as_uri()))
    offline = ["stages", "clusters", "selection", "finetune", "eval", "rollout"]
    assert list(page.sections) == [*offline, "live"]  # no gateway ran: the live section says how
    assert all(page.tables[s] == 1 for s in offline) and page.tables["live"] == 0
    sources = sum(page.images.values(), [])
    assert len(sources) == 4
    assert all(png_of(src) for src in sources)
