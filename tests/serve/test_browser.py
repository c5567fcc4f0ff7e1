"""The pages in a real headless Chromium (Debian's chromium + chromium-driver, installed by
tests/system-deps.sh): a track page shows its reasons as waterfalls and its features by family, and links
lead to a tag page and a rule page. Screenshots are left in tests/serve/artifacts/ (ignored by git) for a
person to look at."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (test extra) is not installed")
    if CHROMIUM is None or not Path(CHROMEDRIVER).exists():
        pytest.skip("Debian's chromium and chromium-driver are not installed "
                    "(tests/system-deps.sh installs them as root)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1600"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_track_page_then_tag_page_then_rule_page(browser, server_url, tagged_store):
    from rdflib import URIRef
    from selenium.webdriver.common.by import By

    from whytag.reasoning.explain import explain

    ARTIFACTS.mkdir(exist_ok=True)
    track = "urn:whytag:track/synthetic/t1"
    browser.get(f"{server_url}/track/synthetic/t1")
    waterfalls = browser.find_elements(By.CSS_SELECTOR, "section.tag svg.waterfall")
    assert waterfalls and all(w.is_displayed() and w.size["width"] > 200 for w in waterfalls)
    first = next(e for e in explain(tagged_store, URIRef(track)) if e.predicted)
    assert float(waterfalls[0].get_attribute("data-logit")) == first.logit
    words = browser.find_element(By.CSS_SELECTOR, "section.tag details pre.why")
    assert not words.is_displayed()  # the same reasons in words, folded under the picture
    browser.find_element(By.CSS_SELECTOR, "section.tag details summary").click()
    assert words.is_displayed() and first.text().splitlines()[0] in words.text
    bars = browser.find_elements(By.CSS_SELECTOR, "details.family svg.position")
    assert len(bars) == 3 and all(b.is_displayed() for b in bars)
    browser.save_screenshot(str(ARTIFACTS / "track-page.png"))

    browser.find_element(By.CSS_SELECTOR, "section.tag h3 a").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == first.tag
    assert browser.find_elements(By.CSS_SELECTOR, "table.tracks a")
    browser.save_screenshot(str(ARTIFACTS / "tag-page.png"))

    browser.find_element(By.CSS_SELECTOR, "table.rules a").click()
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("rule ")
    assert browser.find_element(By.CSS_SELECTOR, "p.conditions").text.startswith("if ")
    browser.save_screenshot(str(ARTIFACTS / "rule-page.png"))
