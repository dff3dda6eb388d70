"""The web page and the docs pages in a real browser: Debian's chromium driven by Playwright against a real
``autbot serve`` (fake adapters). Screenshots of the main states go to the test's temp dir (``screenshots/``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.processes import ROOT, AutbotServer, running

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path(os.environ.get("AUTBOT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAKES = {
    "AUTBOT_EMBEDDER__BACKEND": "hashing",
    "AUTBOT_INDEX__BACKEND": "memory",
    "AUTBOT_LLM__BACKEND": "fake",
    "AUTBOT_LLM__MIN_VECTOR_SCORE": "0",
    "AUTBOT_AUTH__KEYS_BACKEND": "sqlite",
}
EIFFEL = b"# Eiffel Tower\n\nThe Eiffel Tower is 330 metres tall. It was completed in 1889 in Paris.\n"
PYTHON = b"Python was first released in 1991 by Guido van Rossum. It is a programming language.\n"
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)  # a busy CI machine: wait for outcomes, never assert speed


def create_key(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "autbot.entrypoints.cli", "keys", "create", "web", "--scopes", "admin"],
        env={**os.environ, **env},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh user data dir
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1100, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def test_the_page_ingests_answers_deletes_and_asks_for_a_key(tmp_path: Path, browser_page: Any) -> None:

    page = browser_page
    shots = tmp_path / "screenshots"
    data = tmp_path / "data"
    env = {**FAKES, "AUTBOT_STORAGE__DATA_DIR": str(data)}
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: d.accept())

    with running(AutbotServer(data, env=env)) as server:
        page.goto(server.url + "/")
        expect(page.locator("#key-state")).to_have_text("No key.")

        # a new collection, two files uploaded at once: both created
        page.get_by_label("Name").fill("kb")
        page.get_by_role("button", name="Open").click()
        expect(page.locator("#workspace")).to_be_visible()
        page.locator("#files").set_input_files(
            [
                {"name": "eiffel.md", "mimeType": "text/markdown", "buffer": EIFFEL},
                {"name": "python.txt", "mimeType": "text/plain", "buffer": PYTHON},
            ]
        )
        outcomes = page.locator("#uploads .outcome")
        expect(outcomes).to_have_count(2)
        expect(page.locator("#uploads .outcome.ok")).to_have_count(2)
        for i in range(2):
            expect(outcomes.nth(i)).to_contain_text("created")
        expect(page.locator("#documents tbody tr")).to_have_count(2)
        expect(page.locator("#page-state")).to_have_text("1–2 of 2")
        page.screenshot(path=str(shots / "1-uploaded.png"), full_page=True)

        # the same file again: unchanged
        page.locator("#files").set_input_files([{"name": "eiffel.md", "mimeType": "text/markdown", "buffer": EIFFEL}])
        expect(outcomes.first).to_contain_text("unchanged")

        # an upload only for a group: the document carries that access list
        page.get_by_label("Only for groups").fill(" finance, legal ,")
        page.locator("#files").set_input_files([{"name": "salaries.txt", "mimeType": "text/plain", "buffer": b"Pay."}])
        expect(outcomes.first).to_contain_text("created")
        with server.client() as api:
            stored = api.get("/v1/collections/kb/documents/salaries.txt").json()
        assert stored["access"] == {"groups": ["finance", "legal"], "subjects": []}
        page.get_by_label("Only for groups").fill("")
        expect(page.locator("#documents tbody tr")).to_have_count(3)

        # an answer streamed token by token, with citation chips; a chip opens its chunk
        page.get_by_label("Question").fill("How tall is the Eiffel Tower?")
        page.get_by_role("button", name="Ask").click()
        expect(page.locator("#ask-state")).to_contain_text("Done")
        expect(page.locator("#answer")).to_contain_text("330 metres")
        assert page.locator("#answer").evaluate("n => n.childNodes.length") > 2  # one text node per token event
        chips = page.locator("#chips .chip")
        expect(chips.first).to_be_visible()
        chips.first.click()
        citation = page.locator("#citation")
        expect(citation).to_be_visible()
        expect(citation).to_contain_text("score")
        expect(citation).to_contain_text("Eiffel Tower is 330 metres tall")
        page.screenshot(path=str(shots / "2-answer.png"), full_page=True)

        # search only: ranked chunks with scores
        page.get_by_label("Search only").check()
        page.get_by_role("button", name="Ask").click()
        results = page.locator("#results li")
        expect(results.first).to_contain_text("score")
        expect(page.locator("#answer-box")).to_be_hidden()
        page.get_by_label("Answer", exact=True).check()

        # a conversation (the server has /v1/sessions)
        expect(page.locator("#conversation-row")).to_be_visible()
        page.get_by_role("button", name="New conversation").click()
        expect(page.locator("#session")).not_to_have_value("")  # the new conversation is chosen
        page.get_by_label("Question").fill("When was Python first released?")
        page.get_by_role("button", name="Ask").click()
        expect(page.locator("#ask-state")).to_contain_text("Done")
        expect(page.locator("#conversation li")).to_have_count(2)
        page.locator("#session").select_option("")

        # delete a document
        page.get_by_role("button", name="Delete python").click()
        expect(page.locator("#documents tbody tr")).to_have_count(2)
        expect(page.locator("#page-state")).to_have_text("1–2 of 2")

        # phone width, dark
        page.set_viewport_size({"width": 390, "height": 844})
        page.emulate_media(color_scheme="dark")
        page.screenshot(path=str(shots / "3-phone-dark.png"), full_page=True)
        page.set_viewport_size({"width": 1100, "height": 900})
        page.emulate_media(color_scheme="light")

        # once a key exists the server requires one: a wrong key is refused with the problem's detail
        key = create_key(env)
        deadline = time.monotonic() + 10  # "are there any keys?" is cached for 2 s
        while True:
            page.reload()
            notice = page.locator("#notice")
            if notice.is_visible() or time.monotonic() > deadline:
                break
            page.wait_for_timeout(300)
        expect(notice).to_contain_text("API key is missing or was refused")
        expect(notice).to_contain_text("A valid API key is required.")  # the problem's detail
        expect(page.locator("#workspace")).to_be_hidden()
        page.get_by_label("API key").fill("abk_wrong_secret")
        page.get_by_role("button", name="Use key").click()
        expect(page.locator("#key-state")).to_have_text("A key is in use for this tab.")
        expect(notice).to_contain_text("API key is missing or was refused")
        page.screenshot(path=str(shots / "4-unauthorized.png"), full_page=True)
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Use key").click()
        expect(notice).to_be_hidden()
        expect(page.locator("#collections .pill")).to_have_count(1)
        assert key not in page.url
        assert page.evaluate("sessionStorage.getItem('autbot.api-key')") == key

    outside = [u for u in requests if not u.startswith((server.url + "/", "data:"))]
    assert outside == []  # every script, style and call went to the server itself
    csp = [p for p in problems if "Content Security Policy" in p]
    assert csp == []


DOCS_PAGES = ["/schema", "/schema/redoc", "/schema/rapidoc", "/schema/elements", "/schema/scalar"]


def watch(page: Any) -> tuple[list[str], list[str]]:
    """Every URL the page requests, and every console error or uncaught exception."""
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    return requests, problems


def test_every_docs_page_renders_offline_under_its_policy(tmp_path: Path, browser_page: Any) -> None:
    page = browser_page
    requests, problems = watch(page)
    with running(AutbotServer(tmp_path / "data", env=FAKES)) as server:
        for path in DOCS_PAGES:
            requests.clear()
            problems.clear()
            with page.expect_response(lambda r: r.url == server.url + "/schema/openapi.json"):
                page.goto(server.url + path)
            # the API's title and a tag of its routes, rendered by the UI (not the <title> in the head)
            expect(page.locator("body").get_by_text("AutBot").first).to_be_visible()
            expect(page.locator("body").get_by_text("collections").first).to_be_attached()
            page.wait_for_timeout(1_000)  # room for late requests (fonts, images) to show in the log
            page.screenshot(path=str(tmp_path / "screenshots" / f"docs-{path.rsplit('/', 1)[-1]}.png"))
            outside = [u for u in requests if not u.startswith((server.url + "/", "data:", "blob:"))]
            assert outside == [], (path, requests)  # every bundle, style, font and the spec from the server itself
            assert problems == [], path  # no CSP violation, no script error


LONG = (
    b"The tower stands on the Champ de Mars and was built for the World's Fair by the company of Gustave Eiffel, "
    b"whose engineers assembled eighteen thousand iron parts held together by two and a half million rivets over "
    b"two years, two months and five days of work in all weathers.\n"
)


def test_stop_ends_the_stream_and_frees_the_servers_generation_slot(tmp_path: Path, browser_page: Any) -> None:
    page = browser_page
    requests, problems = watch(page)
    # one generation at a time and no queue: while an answer is still being generated, another question is
    # refused at once (503 server_busy), so an answer to the second question shows the first one was stopped
    env = {
        **FAKES,
        "AUTBOT_LLM__FAKE_TOKEN_DELAY_S": "0.5",
        "AUTBOT_LLM__MAX_CONCURRENT": "1",
        "AUTBOT_LLM__MAX_QUEUE": "0",
    }
    with running(AutbotServer(tmp_path / "data", env=env)) as server:
        page.goto(server.url + "/")
        page.get_by_label("Name").fill("kb")
        page.get_by_role("button", name="Open").click()
        page.locator("#files").set_input_files([{"name": "tower.txt", "mimeType": "text/plain", "buffer": LONG}])
        expect(page.locator("#uploads .outcome.ok")).to_have_count(1)

        answer, state, stop = page.locator("#answer"), page.locator("#ask-state"), page.locator("#stop")
        page.get_by_label("Question").fill("Who built the tower?")
        page.get_by_role("button", name="Ask").click()
        expect(answer).not_to_have_text("")  # tokens are streaming in
        expect(stop).to_be_enabled()
        stop.click()

        # the UI says so, and Ask is usable again
        expect(state).to_have_text("Stopped.")
        expect(stop).to_be_disabled()
        expect(page.get_by_role("button", name="Ask")).to_be_enabled()
        expect(answer).to_have_attribute("aria-busy", "false")
        stopped_at = answer.inner_text()
        page.wait_for_timeout(2_000)  # four token delays: a stream still open would have grown
        assert answer.inner_text() == stopped_at
        assert len(stopped_at.split()) < len(LONG.split())  # it stopped mid-answer
        page.screenshot(path=str(tmp_path / "screenshots" / "5-stopped.png"), full_page=True)

        # the server stopped generating: its only generation slot is free for the next question at once
        page.get_by_label("Question").fill("Who built the tower?")
        page.get_by_role("button", name="Ask").click()
        expect(answer).not_to_have_text("")
        expect(page.locator("#notice")).to_be_hidden()  # no 503 server_busy
        expect(state).to_have_text("Answering…")
        stop.click()
        expect(state).to_have_text("Stopped.")

        # the access log: both streams ended (the server closes one when it notices the page hung up: a line
        # is written then, moments after the click), neither refused
        deadline = time.monotonic() + 15
        while True:
            log = server.log.read_text(errors="replace")
            queries = [line for line in log.splitlines() if "autbot.access" in line and "/query " in line]
            if len(queries) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert len(queries) == 2, queries
    assert all("/query 200 " in line for line in queries), queries
    assert [p for p in problems if "Content Security Policy" in p or p.startswith("pageerror")] == []
    assert [u for u in requests if not u.startswith((server.url + "/", "data:"))] == []
