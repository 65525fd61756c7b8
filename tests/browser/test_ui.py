"""The provider's pages as a user sees them: logged in to a real api-server, in headless Chromium.

One cluster serves the module (see conftest): three runs finished before the first test, two of
``hailuo_ui_gallery`` (one with an HTML-injection prompt) and one of ``hailuo_ui_private``, which
``alice`` may not read. Screenshots of both views are written to docs/img/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from tests.browser.conftest import BASE_PATH, USERS, XSS_PROMPT, BrowserCluster
from tests.system.harness import API_KEY, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
IMG = REPO / "docs" / "img"


# -- helpers ------------------------------------------------------------------------------------------
def login(driver: Any, cluster: BrowserCluster, user: str) -> None:
    """Through the login form, as a person would."""
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(cluster.ui("/"))
    username = wait_until(lambda: driver.find_element(By.NAME, "username"), 60, "the login form")
    username.send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(USERS[user][1])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_until(lambda: "_token" in {c["name"] for c in driver.get_cookies()}, 60, f"{user} logged in")


def open_in_iframe(driver: Any, url: str) -> None:
    """Open an Airflow page and switch into the plugin's iframe once its document has loaded."""
    from selenium.webdriver.common.by import By

    driver.switch_to.default_content()
    driver.get(url)
    frame = wait_until(lambda: driver.find_element(By.CSS_SELECTOR, "iframe"), 60, "the plugin iframe")
    driver.switch_to.frame(frame)
    wait_until(
        lambda: (
            driver.execute_script("return document.readyState") == "complete"
            and driver.find_elements(By.TAG_NAME, "h1") + driver.find_elements(By.ID, "not-hailuo")
        ),
        60,
        "the plugin page",
    )


def assert_no_alert(driver: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    time.sleep(0.5)
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 - the property raises when there is no alert


def ti_tab(cluster: BrowserCluster, dag_id: str, run_id: str, task_id: str) -> str:
    return cluster.ui(f"/dags/{dag_id}/runs/{quote(run_id, safe='')}/tasks/{task_id}/plugin/hailuo-video")


def app_url(cluster: BrowserCluster, route: str, dag_id: str, task_id: str, run_id: str) -> str:
    return cluster.ui(f"/hailuo-ui/{route}/{dag_id}/{task_id}?run_id={quote(run_id, safe='')}&map_index=-1")


def session_for(cluster: BrowserCluster, user: str | None) -> requests.Session:
    s = requests.Session()
    if user:
        s.headers["Authorization"] = f"Bearer {cluster.token(user)}"
    return s


# -- the nav page ---------------------------------------------------------------------------------------
def test_nav_page_lists_the_runs_newest_first_with_totals(ui_cluster: BrowserCluster, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    login(browser, ui_cluster, "admin")
    open_in_iframe(browser, ui_cluster.ui("/plugin/hailuo-videos"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#generations tbody tr")
    seen = [(r.get_attribute("data-dag"), r.get_attribute("data-run")) for r in rows]
    expected = [
        ("hailuo_ui_private", ui_cluster.runs["private"]),
        ("hailuo_ui_gallery", ui_cluster.runs["xss"]),
        ("hailuo_ui_gallery", ui_cluster.runs["gallery"]),
    ]
    assert sorted(seen) == sorted(expected)
    starts = [r.find_elements(By.CSS_SELECTOR, "td")[5].text for r in rows]
    assert starts == sorted(starts, reverse=True), "newest first"
    by_run = {r.get_attribute("data-run"): r.find_elements(By.CSS_SELECTOR, "td") for r in rows}
    gallery = [c.text for c in by_run[ui_cluster.runs["gallery"]]]
    assert gallery[0].startswith("a panda walks through a bamboo forest")
    assert gallery[1:4] == ["MiniMax-Hailuo-02", "768P", "6 s"]
    assert gallery[4].startswith("success")
    assert gallery[7] == "$0.28"
    assert gallery[8].startswith("s3://hailuo-videos/ui/")
    private = [c.text for c in by_run[ui_cluster.runs["private"]]]
    assert private[1:4] == ["T2V-01-Director", "720P", "6 s"] and private[7] == "$0.42"
    assert private[8] == "—"  # no transfer in that DAG
    totals = {
        b.get_attribute("data-total"): b.text for b in browser.find_elements(By.CSS_SELECTOR, "[data-total]")
    }
    assert totals == {"videos": "3", "seconds": "18", "cost": "$0.98"}
    browser.switch_to.default_content()
    IMG.mkdir(exist_ok=True)
    browser.save_screenshot(str(IMG / "ui-videos.png"))


def test_filters_narrow_the_list_and_the_totals(ui_cluster: BrowserCluster, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    login(browser, ui_cluster, "admin")
    open_in_iframe(browser, ui_cluster.ui("/plugin/hailuo-videos"))
    Select(browser.find_element(By.NAME, "model")).select_by_visible_text("T2V-01-Director")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    wait_until(
        lambda: len(browser.find_elements(By.CSS_SELECTOR, "#generations tbody tr")) == 1, 30, "filtered"
    )
    assert browser.find_element(By.CSS_SELECTOR, "[data-total=videos]").text == "1"
    assert browser.find_element(By.CSS_SELECTOR, "[data-total=cost]").text == "$0.42"
    Select(browser.find_element(By.NAME, "model")).select_by_visible_text("all")
    Select(browser.find_element(By.NAME, "dag_id")).select_by_visible_text("hailuo_ui_gallery")
    Select(browser.find_element(By.NAME, "state")).select_by_visible_text("failed")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    wait_until(lambda: browser.find_elements(By.ID, "empty"), 30, "no failed generations")
    assert browser.find_element(By.CSS_SELECTOR, "[data-total=videos]").text == "0"


def test_a_row_links_to_its_task_instance_in_the_airflow_ui(ui_cluster: BrowserCluster, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    login(browser, ui_cluster, "admin")
    open_in_iframe(browser, ui_cluster.ui("/plugin/hailuo-videos"))
    run = ui_cluster.runs["gallery"]
    row = browser.find_element(By.CSS_SELECTOR, f"#generations tr[data-run='{run}']")
    row.find_element(By.CSS_SELECTOR, "a[data-airflow]").click()
    browser.switch_to.default_content()
    wanted = f"{BASE_PATH}/dags/hailuo_ui_gallery/runs/{quote(run, safe='')}/tasks/generate"
    wait_until(lambda: wanted in browser.current_url, 30, f"the top window at {wanted}")


# -- the task tab ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("run", "source"), [("gallery", "S3 via the transfer"), ("private", "MiniMax file")])
def test_task_tab_plays_the_video(ui_cluster: BrowserCluster, browser: Any, run: str, source: str) -> None:
    from selenium.webdriver.common.by import By

    login(browser, ui_cluster, "admin")
    dag_id = "hailuo_ui_private" if run == "private" else "hailuo_ui_gallery"
    open_in_iframe(browser, ti_tab(ui_cluster, dag_id, ui_cluster.runs[run], "generate"))
    player = browser.find_element(By.ID, "player")
    width = wait_until(
        lambda: browser.execute_script(
            "return arguments[0].readyState >= 1 && arguments[0].videoWidth", player
        ),
        60,
        f"video metadata ({source})",
    )
    expected = (1366, 768) if run == "gallery" else (1280, 720)
    assert (width, browser.execute_script("return arguments[0].videoHeight", player)) == expected
    assert browser.execute_script("return arguments[0].duration", player) == pytest.approx(6, abs=0.1)
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "success" in text and ("$0.28" if run == "gallery" else "$0.42") in text
    if run == "gallery":
        assert "s3://hailuo-videos/ui/" in browser.find_element(By.ID, "s3").text
        browser.execute_script("arguments[0].currentTime = 1.5", player)
        time.sleep(1)
        browser.switch_to.default_content()
        browser.save_screenshot(str(IMG / "ui-video-tab.png"))


def test_other_tasks_say_they_are_not_hailuo_tasks(ui_cluster: BrowserCluster, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    login(browser, ui_cluster, "admin")
    open_in_iframe(browser, ti_tab(ui_cluster, "hailuo_ui_gallery", ui_cluster.runs["gallery"], "caption"))
    assert browser.find_element(By.ID, "not-hailuo").text.startswith("Not a Hailuo task")


# -- injection --------------------------------------------------------------------------------------------
def test_an_html_prompt_is_shown_as_text_and_runs_nothing(ui_cluster: BrowserCluster, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    login(browser, ui_cluster, "admin")
    open_in_iframe(browser, ui_cluster.ui("/plugin/hailuo-videos"))
    assert_no_alert(browser)
    cell = browser.find_element(
        By.CSS_SELECTOR, f"#generations tr[data-run='{ui_cluster.runs['xss']}'] td.prompt"
    )
    assert cell.text.startswith("<img src=x onerror=alert(1)> a cat <b>bold</b>")
    assert browser.find_elements(By.CSS_SELECTOR, "#generations img, #generations b") == []
    open_in_iframe(browser, ti_tab(ui_cluster, "hailuo_ui_gallery", ui_cluster.runs["xss"], "generate"))
    assert_no_alert(browser)
    assert browser.find_element(By.ID, "prompt").text == XSS_PROMPT
    assert browser.find_elements(By.CSS_SELECTOR, "#parameters img, #parameters b") == []


# -- access ------------------------------------------------------------------------------------------------
def test_every_route_needs_a_logged_in_user(ui_cluster: BrowserCluster) -> None:
    run = ui_cluster.runs["gallery"]
    urls = [
        ui_cluster.ui("/hailuo-ui/videos"),
        app_url(ui_cluster, "task", "hailuo_ui_gallery", "generate", run),
        app_url(ui_cluster, "media", "hailuo_ui_gallery", "generate", run),
    ]
    for url in urls:
        anonymous = requests.get(url, allow_redirects=False, timeout=30)
        assert anonymous.status_code == 401, (url, anonymous.status_code, anonymous.text[:200])
        forged = requests.get(url, cookies={"_token": "not-a-jwt"}, allow_redirects=False, timeout=30)
        assert forged.status_code in (401, 403), (url, forged.status_code)
        assert "hailuo_ui" not in forged.text and "panda" not in forged.text


def test_a_user_sees_only_the_dags_they_may_read(ui_cluster: BrowserCluster, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    login(browser, ui_cluster, "alice")
    open_in_iframe(browser, ui_cluster.ui("/plugin/hailuo-videos"))
    dags = {
        r.get_attribute("data-dag") for r in browser.find_elements(By.CSS_SELECTOR, "#generations tbody tr")
    }
    assert dags == {"hailuo_ui_gallery"}
    assert "private teaser" not in browser.find_element(By.TAG_NAME, "body").text
    alice = session_for(ui_cluster, "alice")
    private = ui_cluster.runs["private"]
    for url in (
        app_url(ui_cluster, "task", "hailuo_ui_private", "generate", private),
        app_url(ui_cluster, "media", "hailuo_ui_private", "generate", private),
        ui_cluster.ui("/hailuo-ui/videos?dag_id=hailuo_ui_private"),
    ):
        resp = alice.get(url, allow_redirects=False, timeout=30)
        assert resp.status_code == 403, (url, resp.status_code)
        assert "private teaser" not in resp.text
    # The same user may read the gallery.
    ok = alice.get(
        app_url(ui_cluster, "task", "hailuo_ui_gallery", "generate", ui_cluster.runs["gallery"]), timeout=30
    )
    assert ok.status_code == 200 and "a panda walks" in ok.text


def test_pages_hold_no_key_no_signed_url_no_image_bytes(ui_cluster: BrowserCluster) -> None:
    admin = session_for(ui_cluster, "admin")
    bodies = []
    for name, dag_id in (("gallery", "hailuo_ui_gallery"), ("private", "hailuo_ui_private")):
        run = ui_cluster.runs[name]
        bodies.append(admin.get(app_url(ui_cluster, "task", dag_id, "generate", run), timeout=30))
        bodies.append(
            admin.get(app_url(ui_cluster, "task", dag_id, "to_s3", run), timeout=30)
            if name == "gallery"
            else bodies[-1]
        )
    bodies.append(admin.get(ui_cluster.ui("/hailuo-ui/videos"), timeout=30))
    for resp in bodies:
        assert resp.status_code == 200
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
        text = resp.text
        assert API_KEY not in text
        assert not re.search(
            r"X-Amz-(Signature|Credential)|Signature=|[?&](token|sig|expires)=", text, re.I
        ), text
        assert "base64" not in text


def test_the_player_source_is_a_fresh_url_each_time(ui_cluster: BrowserCluster) -> None:
    admin = session_for(ui_cluster, "admin")
    run = ui_cluster.runs["private"]
    url = app_url(ui_cluster, "media", "hailuo_ui_private", "generate", run)
    first = admin.get(url, allow_redirects=False, timeout=30)
    second = admin.get(url, allow_redirects=False, timeout=30)
    assert first.status_code == second.status_code == 307
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["Location"] != second.headers["Location"]  # a new MiniMax download URL each time
    assert first.headers["Location"].startswith(ui_cluster.sandbox)
    video = requests.get(second.headers["Location"], headers={"Range": "bytes=0-15"}, timeout=30)
    assert video.status_code == 206 and video.content[4:8] == b"ftyp"
    s3 = admin.get(
        app_url(ui_cluster, "media", "hailuo_ui_gallery", "to_s3", ui_cluster.runs["gallery"]),
        allow_redirects=False,
        timeout=30,
    )
    assert s3.status_code == 307 and s3.headers["Location"].startswith(ui_cluster.s3_endpoint)
    query = parse_qs(urlsplit(s3.headers["Location"]).query)
    if "X-Amz-Expires" in query:  # SigV4
        assert query["X-Amz-Expires"] == ["900"]
    else:  # SigV2: an absolute expiry
        assert abs(int(query["Expires"][0]) - time.time() - 900) < 120
