"""Issue 23 in a real browser (headless Chromium, as tests/test_web_browser.py): a staff
member on Zalo asks a question the bot cannot answer; an officer signs in through /dangnhap,
finds it on "Chưa trả lời được", makes it a phrasing of an entry, tries the entry's "Thử" box
(htmx), and the staff member asking again is answered in chat through the fake Zalo.
Screenshots at 360 and 1280 px of the new pages go to tmp/screenshots/noi-dung/ (its own
folder: test_web_browser.py empties tmp/screenshots/ when it starts)."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from tests import test_web_browser as browser
from tests.fake_zalo import make_update
from tests.test_web_browser import OFFICER_ZALO, SHOTS, _browser, _missing, _wait, zalo_bot  # noqa: F401
from tests.web_console import serve

pytestmark = pytest.mark.skipif(_missing() is not None, reason=f"browser tests skipped: {_missing()}")

STAFF = "staff-zl"
QUESTION = "hạn chót nộp báo cáo sơ kết là ngày nào"
ENTRY = "ho-so-gom"
MY_SHOTS = SHOTS / "noi-dung"


def _shoot(driver, name: str) -> list:  # noqa: ANN001
    made = browser._shoot(driver, name)
    MY_SHOTS.mkdir(parents=True, exist_ok=True)
    return [p.replace(MY_SHOTS / p.name) for p in made]


def _curate(link: str) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    seen: dict = {"shots": []}
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = _browser(SHOTS.parent / "downloads")
    try:
        driver.set_window_size(1280, 900)
        driver.get(link)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "so-cho-duyet"), "the dashboard after signing in")
        driver.find_element(By.LINK_TEXT, "Chưa trả lời được").click()
        _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".group"), "the unanswered groups")
        seen["unanswered"] = driver.find_element(By.TAG_NAME, "main").text
        seen["shots"] += _shoot(driver, "c1-chua-tra-loi")
        group = next(g for g in driver.find_elements(By.CSS_SELECTOR, ".group") if QUESTION in g.text)
        Select(group.find_element(By.NAME, "muc")).select_by_value(ENTRY)
        group.find_element(By.CSS_SELECTOR, "button.primary").click()
        _wait(driver, lambda d: "Đã thêm làm cách hỏi" in d.find_element(By.TAG_NAME, "main").text, "phrasing added")
        seen["after"] = driver.find_element(By.TAG_NAME, "main").text

        driver.find_element(By.LINK_TEXT, "Nội dung").click()
        _wait(driver, lambda d: d.find_elements(By.NAME, "tim"), "the entries")
        driver.find_element(By.NAME, "tim").send_keys("ho so gom\n")
        _wait(driver, lambda d: "ho-so-gom" in d.find_element(By.TAG_NAME, "main").text, "the search")
        seen["shots"] += _shoot(driver, "c2-noi-dung")
        driver.get(driver.current_url.split("/van-phong/")[0] + f"/van-phong/noi-dung/{ENTRY}")
        _wait(driver, lambda d: d.find_elements(By.ID, "cau-thu"), "the entry's form")
        driver.find_element(By.ID, "cau-thu").send_keys(QUESTION)
        driver.find_element(By.CSS_SELECTOR, ".try button").click()
        _wait(driver, lambda d: "Bot trả lời" in d.find_element(By.ID, "thu-ket-qua").text, "the Thử box", 30)
        seen["tried"] = driver.find_element(By.ID, "thu-ket-qua").text
        seen["entry"] = driver.find_element(By.TAG_NAME, "main").text
        seen["shots"] += _shoot(driver, "c3-muc")
        for name, shot in (("Đơn vị", "c4-don-vi"), ("Cán bộ", "c5-can-bo")):
            driver.find_element(By.LINK_TEXT, name).click()
            _wait(driver, lambda d, n=name: n in d.find_element(By.TAG_NAME, "h1").text, name)
            seen["shots"] += _shoot(driver, shot)
        seen["console_errors"] = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
    return seen


async def test_from_an_unanswered_question_to_a_phrasing_to_the_bot_answering_it(zalo_bot) -> None:  # noqa: ANN001, F811
    app, fake = zalo_bot
    fake.push(make_update(message_id="q-1", text=QUESTION, user=STAFF, name="Nguyễn Văn An"))
    [declined] = await fake.wait_texts(STAFF, 1, timeout=10)
    assert app.knowledge.match(QUESTION).kind == "fallback"
    async with serve(app, officers=set(app.settings.admin_ids)) as srv:
        app.conversation.console_url = srv.url
        fake.push(make_update(message_id="login-1", text="/dangnhap", user=OFFICER_ZALO, name="Lê Văn Cán"))
        [reply] = await fake.wait_texts(OFFICER_ZALO, 1, timeout=10)
        link = re.search(r"http://127\.0\.0\.1:\d+/van-phong/dang-nhap/\S+", reply)
        assert link, reply
        started = time.monotonic()
        seen = await asyncio.to_thread(_curate, link.group(0))
        took = time.monotonic() - started
    print(f"curation browser session: {took:.1f} s")
    assert QUESTION in seen["unanswered"] and QUESTION not in seen["after"]
    assert ENTRY in seen["tried"], seen["tried"]
    assert seen["console_errors"] == [], seen["console_errors"]
    assert len(seen["shots"]) == 10 and all(p.stat().st_size > 1000 for p in seen["shots"])
    # The staff member asks again, in chat: answered from the entry.
    fake.push(make_update(message_id="q-2", text=QUESTION, user=STAFF, name="Nguyễn Văn An"))
    texts = await fake.wait_texts(STAFF, 2, timeout=10)
    entry = app.knowledge.kb.by_id[ENTRY]
    assert "chưa có thông tin" in declined
    assert texts[-1].startswith(entry.title) and "Tờ trình đề nghị khen thưởng" in texts[-1], texts[-1]
