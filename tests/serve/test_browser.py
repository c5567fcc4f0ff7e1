"""The pages in a real headless Chromium (Debian's chromium + chromium-driver, installed by
tests/system-deps.sh) over a store the real pipeline built from generated audio: a click-through from the
catalog to a track, a feature, its tag and a rule; the catalog sorted and narrowed; the players playing;
the keyboard's focus; axe-core's accessibility check on each kind of page; and the same links followed with
JavaScript off. Screenshots are left in tests/serve/artifacts/ (ignored by git) for a person to look at."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parent / "artifacts"
# fetched by tests/system-deps.sh (npm axe-core, pinned there); injected into the pages, never served by whytag
AXE = Path(__file__).parent / "vendor" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTISTS = ("Ada Sine", "The Square Waves")
CLIPS = 8  # two of each valence × arousal combination: the fewest the demo's learner takes
SECONDS = 5.0  # long enough for the tempo and key estimates the demo tags rest on
BLOCKING = ("serious", "critical")  # axe-core impacts a page must not have


def chrome(javascript: bool):
    """A headless Chromium driven by Selenium, or skip saying what is missing; audio may play unprompted."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (test extra) is not installed")
    if CHROMIUM is None or not Path(CHROMEDRIVER).exists():
        pytest.skip("Debian's chromium and chromium-driver are not installed "
                    "(tests/system-deps.sh installs them as root)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1600",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def browser():
    driver = chrome(javascript=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def browser_without_js():
    driver = chrome(javascript=False)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def axe() -> str:
    """axe-core's script, or skip (before any store is built) saying how to fetch it."""
    if not AXE.exists():
        pytest.skip(f"{AXE} is absent: tests/system-deps.sh fetches axe-core with npm")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The demo's clips as tagged FLAC files by two artists, ingested, measured, learned and tagged in a store
    (the real pipeline, once for the module); yields the open store, and the clips' track IRIs and their
    (artist, title) by the clips' names."""
    import pandas as pd
    import soundfile as sf
    from mutagen.flac import FLAC

    from whytag.datasets.demo import SAMPLE_RATE, demo_clips, synthesize
    from whytag.kg.extraction import extract_tracks
    from whytag.kg.ingest import ingest
    from whytag.kg.store import open_store
    from whytag.reasoning.reasoner import apply_model
    from whytag.reasoning.training import learn

    folder = tmp_path_factory.mktemp("library")
    clips, names = demo_clips(CLIPS), {}
    for i, clip in enumerate(clips):
        path = folder / f"{clip.name}.flac"
        sf.write(path, synthesize(clip, SECONDS, i), SAMPLE_RATE)
        tags = FLAC(path)
        tags["title"], tags["artist"] = f"Study {i + 1} in {clip.progression}", ARTISTS[i % 2]
        tags.save()
        names[clip.name] = (ARTISTS[i % 2], f"Study {i + 1} in {clip.progression}")
    with open_store(folder / "graph") as store:
        report = ingest(store, [folder], progress=False)
        assert report.failures == []
        assert extract_tracks(store, ("signal", "symbolic"), workers=1, progress=False).failures == []
        ids = {Path(info.path).stem: track for track, info in report.tracks}
        labels = pd.DataFrame({tag: [int(tag in clip.tags) for clip in clips]
                               for tag in ("energetic", "calm", "happy", "sad")}, index=[c.name for c in clips])
        learn(store, labels, ids, "boosted", "demo", "demo-moods", "labels.csv")
        apply_model(store, "demo")
        yield store, ids, names


@pytest.fixture(scope="module")
def site(library, serve):
    with serve(library[0]) as url:
        yield url


@pytest.fixture(scope="module")
def pages(library, site):
    """The URL of one page of each kind: the catalog, a track, its first tag, a rule for it, a feature, the
    query form, and the 404 page of an IRI nothing mentions."""
    from whytag.kg.iris import DEFAULT_BASE, feature_iri, tag_iri
    from whytag.serve.links import page_url

    store, ids, _ = library

    def href(iri) -> str:
        return page_url(str(iri), DEFAULT_BASE)

    tag = tag_iri("demo-moods", "energetic")
    rule = store.select(f"SELECT ?rule WHERE {{ ?rule a wt:Rule ; wt:forTag <{tag}> }} LIMIT 1").rows[0][0]
    return {"catalog": f"{site}/", "track": site + href(ids["00-happy-energetic"]), "tag": site + href(tag),
            "rule": site + href(rule), "feature": site + href(feature_iri("BPM")), "query": f"{site}/query",
            "missing": f"{site}/track/no-such-track"}


def visible(driver, selector: str):
    """The elements a selector finds, asserted present and displayed."""
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, selector)
    assert found, f"{driver.current_url}: nothing matches {selector}"
    assert all(element.is_displayed() for element in found), f"{driver.current_url}: {selector} is hidden"
    return found


def shot(driver, name: str) -> None:
    """Keep a screenshot of the whole page, beyond the window's height, as a test artefact (as Puppeteer's
    fullPage does it: DevTools' content size as the clip)."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    image = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    (ARTIFACTS / f"{name}.png").write_bytes(base64.b64decode(image["data"]))


def walk(driver, site: str, library, shots: bool) -> None:
    """Catalog → track → feature → tag → rule by clicking links, asserting what each page shows (the reasons
    in `whytag explain`'s numbers); screenshots if asked."""
    from selenium.webdriver.common.by import By

    from whytag.reasoning.explain import explain

    store, ids, names = library
    artist, title = names["00-happy-energetic"]
    driver.get(site)
    assert driver.find_element(By.TAG_NAME, "h1").text == "Catalog"
    assert [a.text for a in visible(driver, "table.catalog td.title a")] == sorted(t for _, t in names.values())
    assert len(visible(driver, "table.catalog audio.player")) == CLIPS
    if shots:
        shot(driver, "catalog")

    driver.find_element(By.LINK_TEXT, title).click()
    assert driver.find_element(By.TAG_NAME, "h1").text == f"{artist} - {title}"
    visible(driver, "audio.player")
    predicted = [e for e in explain(store, ids["00-happy-energetic"]) if e.predicted]
    assert {e.tag for e in predicted} == {"energetic", "happy"}
    sections = visible(driver, "section.tag:not(.not-predicted)")
    assert [s.find_element(By.TAG_NAME, "h3").text.split()[0] for s in sections] == [e.tag for e in predicted]
    for section, explanation in zip(sections, predicted):
        chart = section.find_element(By.CSS_SELECTOR, "svg.waterfall")
        assert float(chart.get_attribute("data-logit")) == pytest.approx(explanation.logit)
        steps = chart.find_elements(By.CSS_SELECTOR, "g.step")
        assert float(steps[0].get_attribute("data-contribution")) == pytest.approx(explanation.base_rate)
        assert sum(float(g.get_attribute("data-contribution")) for g in steps) == pytest.approx(explanation.logit)
        assert all(g.find_element(By.TAG_NAME, "rect").size["width"] >= 1 for g in steps)
        top = explanation.ranked()[0].readings[0]
        assert top.text() in steps[1].get_attribute("textContent")
        assert bool(chart.find_elements(By.CSS_SELECTOR, "g.flip line")) == (explanation.flip is not None)
    words = sections[0].find_element(By.CSS_SELECTOR, "details pre.why")
    assert not words.is_displayed()  # the same reasons in words, folded under the picture: a click opens them
    sections[0].find_element(By.CSS_SELECTOR, "details summary").click()
    assert words.is_displayed() and predicted[0].text().splitlines()[0] in words.text
    assert [f.text for f in visible(driver, "details.family[open] > summary h3")]
    assert visible(driver, "details.family[open] svg.position")
    if shots:
        shot(driver, "track")

    top = predicted[0].ranked()[0].readings[0]
    sections[0].find_element(By.CSS_SELECTOR, "svg.waterfall g.step.reason a").click()
    assert driver.find_element(By.TAG_NAME, "h1").text == top.label
    assert visible(driver, "figure.histogram svg") and not driver.find_elements(By.PARTIAL_LINK_TEXT, "_:")
    if shots:
        shot(driver, "feature")
    driver.back()

    driver.find_element(By.CSS_SELECTOR, "section.tag h3 a").click()
    assert driver.find_element(By.TAG_NAME, "h1").text == predicted[0].tag
    energetic = [clip for clip in ids if clip.endswith("-energetic")]
    assert len(visible(driver, "table.tracks td.title a")) == len(energetic)
    assert {a.text for a in visible(driver, "table.tracks td.title a")} <= {t for _, t in names.values()}
    assert {a.text for a in visible(driver, "table.tracks td.artist a")} <= {a for a, _ in names.values()}
    assert len(visible(driver, "table.tracks svg.waterfall.mini")) == len(energetic)
    assert visible(driver, "figure.shape svg")
    if shots:
        shot(driver, "tag")

    driver.find_element(By.CSS_SELECTOR, "table.rules a").click()
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("rule ")
    assert visible(driver, "p.conditions")[0].text.startswith("if ")
    assert visible(driver, "ul.tracks a")
    if shots:
        shot(driver, "rule")


def test_catalog_then_track_then_tag_then_rule(browser, site, library):
    walk(browser, site, library, shots=True)


def test_the_same_links_without_javascript(browser_without_js, site, library):
    browser_without_js.get("data:text/html,<title>off</title><script>document.title = 'on'</script>")
    assert browser_without_js.title == "off", "JavaScript is still on"
    walk(browser_without_js, site, library, shots=False)


def test_sorting_and_facets_change_the_rows_as_the_store_says(browser, site, library):
    from selenium.webdriver.common.by import By

    store, ids, names = library
    hrefs = {str(track): clip for clip, track in ids.items()}

    def shown() -> list[str]:
        """The clips the catalog lists now, in its order, by the tracks its title links name."""
        links = visible(browser, "table.catalog td.title a")
        return [hrefs[f"urn:whytag:{link.get_attribute('href').removeprefix(site + '/')}"] for link in links]

    def tagged(tag: str) -> set[str]:
        found = store.select(f'SELECT ?t WHERE {{ ?t wt:taggedAs/skos:notation "{tag}" }}').rows
        return {hrefs[str(row[0])] for row in found}

    browser.get(site)
    by_title = sorted(names, key=lambda clip: names[clip][1])
    assert shown() == by_title
    browser.find_element(By.XPATH, "//table[@class='catalog']//th/a[starts-with(., 'artist')]").click()
    assert [names[clip][0] for clip in shown()] == sorted(names[clip][0] for clip in names)
    browser.find_element(By.XPATH, "//table[@class='catalog']//th/a[starts-with(., 'title')]").click()
    assert shown() == by_title
    browser.find_element(By.XPATH, "//table[@class='catalog']//th/a[starts-with(., 'title')]").click()
    assert shown() == by_title[::-1]
    assert browser.find_element(By.CSS_SELECTOR, "th[aria-sort]").get_attribute("aria-sort") == "descending"

    energetic = tagged("energetic")
    facet = browser.find_element(By.XPATH, "//nav[@class='facets']//li[a[text()='energetic']]")
    assert facet.text == f"energetic ({len(energetic)})"
    facet.find_element(By.TAG_NAME, "a").click()
    assert set(shown()) == energetic and len(energetic) == CLIPS // 2
    browser.find_element(By.XPATH, f"//nav[@class='facets']//a[text()='{ARTISTS[0]}']").click()
    assert set(shown()) == {clip for clip in energetic if names[clip][0] == ARTISTS[0]}
    browser.find_element(By.CSS_SELECTOR, f"nav.facets.chosen a[aria-label='remove {ARTISTS[0]}']").click()
    assert set(shown()) == energetic


def test_the_player_plays_the_ingested_file(browser, pages):
    from selenium.webdriver.support.ui import WebDriverWait
    from serve_testing import HUNG

    player = "document.querySelector('audio.player')"
    for page in (pages["track"], pages["catalog"]):
        browser.get(page)
        browser.execute_script(f"{player}.play()")
        WebDriverWait(browser, HUNG, poll_frequency=0.1).until(
            lambda driver: driver.execute_script(f"return {player}.error !== null || {player}.currentTime > 0.5"),
            f"{page}: the player did not play")
        assert browser.execute_script(f"return {player}.error") is None, f"{page}: the player failed"
        browser.execute_script(f"{player}.pause()")


def test_the_keyboard_reaches_the_links_and_shows_where_it_is(browser, pages):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(pages["track"])
    ActionChains(browser).send_keys(Keys.TAB).perform()
    focused = browser.switch_to.active_element
    assert (focused.tag_name, focused.text) == ("a", "catalog")
    assert focused.value_of_css_property("outline-style") != "none"
    assert float(focused.value_of_css_property("outline-width").removesuffix("px")) >= 2


@pytest.mark.parametrize("kind", ["catalog", "track", "tag", "rule", "feature", "query", "missing"])
def test_no_serious_accessibility_violations(axe, browser, pages, kind):
    browser.get(pages[kind])
    browser.execute_script(axe)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(done, e => done({error: String(e)}));")
    assert "error" not in result, result.get("error")
    blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"{pages[kind]}:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']]}" for v in blocking)
