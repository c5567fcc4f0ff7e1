"""The pages in a real headless Chromium (Debian's chromium + chromium-driver, installed by
tests/system-deps.sh): a track page shows its reasons and its chart, and links lead to a tag page and a
rule page. Screenshots are left in tests/serve/artifacts/ (ignored by git) for a person to look at."""

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
    reasons = browser.find_elements(By.CSS_SELECTOR, "pre.why")
    assert reasons and all(r.is_displayed() for r in reasons)
    first = next(e for e in explain(tagged_store, URIRef(track)) if e.predicted)
    assert first.text().splitlines()[0] in reasons[0].text
    chart = browser.find_element(By.CSS_SELECTOR, "svg.features")
    assert chart.is_displayed() and chart.size["height"] > 20 and chart.size["width"] > 200
    bars = chart.find_elements(By.CSS_SELECTOR, "rect[fill='#4a7fb0']")
    assert len(bars) == 3
    browser.save_screenshot(str(ARTIFACTS / "track-page.png"))

    browser.find_element(By.CSS_SELECTOR, "section.tag h3 a").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == first.tag
    assert browser.find_elements(By.CSS_SELECTOR, "table.tracks a")
    browser.save_screenshot(str(ARTIFACTS / "tag-page.png"))

    browser.find_element(By.CSS_SELECTOR, "table.rules a").click()
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("rule ")
    assert browser.find_element(By.CSS_SELECTOR, "p.conditions").text.startswith("if ")
    browser.save_screenshot(str(ARTIFACTS / "rule-page.png"))
