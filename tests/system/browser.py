"""The browser the console tests drive (Debian's chromium through Playwright, headless, 1280 by 720)
and what they share: signing in, a console key of a role, where screenshots go."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.system.fixtures import System

CONSOLE = "http://127.0.0.1:18005/console/"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ["CONSOLE_SCREENSHOTS"]) if os.environ.get("CONSOLE_SCREENSHOTS") else None


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        try:
            launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        except Exception as exc:  # loudly: Playwright and Debian's chromium drifted apart, or it is missing
            raise AssertionError(
                f"Playwright could not drive {CHROMIUM} (make install puts Debian's chromium there): {exc}"
            ) from exc
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    found = await context.new_page()
    yield found
    await context.close()


def requested_urls(page: Page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


async def sign_in(page: Page, key: str) -> None:
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()


def console_key(system: System, role: str, *options: str) -> str:
    created = system.leadloop_cli(
        "console-keys", "create", "--name", f"browser-{role}", "--role", role, *options
    )
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()
