"""The web page in a real headless Chromium: search by word, then by a dropped `.pose` file.

Needs Debian's `chromium` (apt-get install -y chromium) and the `playwright` package; Playwright's
own browser download is not used. SIGNCLIP_CHROMIUM names another browser binary.
"""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from signclip.index.store import SignIndex
from signclip.inference import SignCLIPEncoder
from signclip.serve.app import create_app
from tests.unit.serve.helpers import live_server, make_all

# The canvas's pixels as a string, and how many of them are not white.
CANVAS_PIXELS = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 600) inked++;
  return [canvas.toDataURL(), inked];
}"""


def chromium_binary() -> str:
    found = os.environ.get("SIGNCLIP_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail("no chromium found: apt-get install -y chromium (or set SIGNCLIP_CHROMIUM)")
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    model, manifest, index_path = make_all(tmp_path_factory.mktemp("page"))
    encoder = SignCLIPEncoder.from_pretrained(model, device="cpu")
    app = create_app(encoder, SignIndex.load(index_path), model_name="tiny")
    with live_server(app) as url:
        yield url, manifest


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_binary(), headless=True)
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server[0])
        yield page
        browser.close()
        assert not errors, errors


def test_word_search_shows_animated_skeletons(page, tmp_path):
    page.wait_for_selector("#language option[value='bfi']", state="attached")
    page.select_option("#language", "bfi")
    page.fill("#query", "house")
    page.click("#search")
    page.wait_for_selector(".card canvas[data-frame]")
    cards = page.locator(".card")
    assert cards.count() == 6  # every clip of bfi, k = 8
    assert all("bfi" in text for text in cards.locator(".meta").all_inner_texts())
    assert page.locator(".card .meta").first.inner_text().count("score") == 1
    canvas = page.locator(".card canvas").first
    first_picture, inked = canvas.evaluate(CANVAS_PIXELS)
    assert inked > 200  # a skeleton, not a blank canvas
    page.wait_for_timeout(400)  # ten frames at 25 fps
    later_picture, _ = canvas.evaluate(CANVAS_PIXELS)
    assert later_picture != first_picture  # it moves
    page.screenshot(path=str(tmp_path / "word-search.png"), full_page=True)


def test_dropped_pose_file_shows_closest_texts(page, server):
    _, manifest = server
    page.select_option("#language", "")
    page.set_input_files("#pose-file", str(Path(manifest).parent / "ase-water-0.pose"))
    page.wait_for_selector("#texts .text-result")
    texts = page.locator("#texts .text-result").all_inner_texts()
    assert len(texts) == 6  # 3 words × 2 languages, all within k = 8
    assert any(t.startswith("water") for t in texts)
    page.wait_for_selector(".card canvas[data-frame]")
    assert "ase-water-0" in page.locator(".card .meta").first.inner_text()
    assert page.locator("#status").inner_text() == ""
