"""The officers' console in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, installed by .ci/run) driven by Selenium. An officer on Zalo sends
/dangnhap through the fake Zalo server, opens the link, signs in, reads the dashboard,
filters the reports (htmx), opens a report and sees its photo really displayed, reads the
Office's questions, downloads the award list from Xuất and opens it, reads Lịch nhắc hạn and
one deadline, counts an announcement's reach, searches the reports as it types, approves the report,
answers an Office question and sends an announcement to one unit (the staff member's messages arrive
at the fake Zalo), and signs out. Screenshots of every page at 360 px and 1280 px wide go to
tmp/screenshots/ at the repository's root (CONSOLE_SCREENSHOTS overrides it).

Without the browser, its driver or Selenium the test skips, saying which is missing."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import build_app
from bot.settings import load_settings
from storage.models import Deadline
from tests import wiring
from tests.conftest import REAL_CONTENT
from tests.fake_zalo import TOKEN, FakeZalo, make_update
from tests.web_console import seed, seed_more, serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS") or Path(__file__).resolve().parents[1] / "tmp" / "screenshots")
OFFICER_ZALO = "officer-zl"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no {CHROMIUM} (apt-get install chromium chromium-driver; .ci/run does)"
    if not CHROMEDRIVER.exists():
        return f"no {CHROMEDRIVER} (apt-get install chromium-driver; .ci/run does)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements-dev.lock)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=f"browser tests skipped: {_missing()}")


@pytest.fixture
async def zalo_bot(tmp_path: Path) -> AsyncIterator[tuple]:
    fake = await FakeZalo().start()
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, zalo_bot_token=TOKEN,
                             zalo_api_url=fake.url, admin_ids=f"zalo:{OFFICER_ZALO}")
    app = build_app(settings)
    kernel = wiring.zalo(app)
    inbound = kernel.inbound["zalo"]
    await inbound.start()
    polling = asyncio.create_task(inbound.poll())
    stop = asyncio.Event()
    sending = asyncio.create_task(kernel.delivery.run(stop))
    try:
        yield app, fake
    finally:
        stop.set()
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await asyncio.wait_for(sending, 10)
        await inbound.close()
        await fake.stop()


def _browser(downloads: Path):  # noqa: ANN202
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=vi",
                "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    # Headless Chromium saves downloads only where it is told to, by the DevTools protocol.
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def _shoot(driver, name: str) -> list[Path]:  # noqa: ANN001
    """The whole page at 360 and 1280 px wide."""
    made = []
    for width in (360, 1280):
        driver.set_window_size(width, 900)
        height = driver.execute_script("return Math.max(document.documentElement.scrollHeight, 600)")
        # The window's own frame takes part of its height (headless too): add it, or the page's end is cut.
        frame = 900 - driver.execute_script("return window.innerHeight")
        driver.set_window_size(width, min(int(height) + frame, 6000))
        path = SHOTS / f"{name}-{width}.png"
        driver.save_screenshot(str(path))
        made.append(path)
    driver.set_window_size(1280, 900)
    return made


def _unloading(e: Exception) -> bool:
    """Whether an error only says the page (or the part htmx replaces) a node came from is going away:
    stale, or, as Chromium may report it while the old page unloads, "Node with given id does not
    belong to the document" (seen in full runs, in this file's tests and in the curation console's)."""
    from selenium.common.exceptions import StaleElementReferenceException

    return isinstance(e, StaleElementReferenceException) or "does not belong to the document" in str(e)


def _wait(driver, condition, what: str, timeout: float = 10.0):  # noqa: ANN001, ANN202
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    # htmx replaces the list, or a new page replaces the old one, while the condition reads it:
    # not yet, rather than an error.
    def settled(d):  # noqa: ANN001, ANN202
        try:
            return condition(d)
        except WebDriverException as e:
            if not _unloading(e):
                raise
            return False

    return WebDriverWait(driver, timeout).until(settled, what)


def _result_of(driver, button, what: str) -> str:  # noqa: ANN001
    """Clicks `button` and returns the text of the message (#ket-qua) on the page its form
    brings, not of the one the page before showed: the form posts and a new page loads, so
    that one goes stale first (seen: the deadline's message read as the announcement's page
    went away)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    before = driver.find_elements(By.ID, "ket-qua")
    button.click()

    def fresh(d):  # noqa: ANN001, ANN202
        if before:
            try:
                before[0].is_enabled()  # raises once the page that held it is gone
                return False
            except WebDriverException as e:
                if not _unloading(e):
                    raise
        found = d.find_elements(By.ID, "ket-qua")
        return found[0].text if found else False

    return _wait(driver, fresh, what)


def _downloaded(folder: Path, suffix: str) -> Path | None:
    done = [p for p in folder.glob(f"*{suffix}") if not p.name.endswith(".crdownload")]
    return done[0] if done else None


def _browse(link: str, report_code: str, approved_code: str, downloads: Path) -> dict:
    """Everything the browser does, in a worker thread (the console is served by this test's
    event loop). Returns what the assertions need."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    seen: dict = {"shots": []}
    driver = _browser(downloads)
    try:
        driver.set_window_size(1280, 900)
        base = link.split("/dang-nhap/")[0]
        driver.get(link)
        seen["shots"] += _shoot(driver, "0-dang-nhap")
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "so-cho-duyet"), "the dashboard after signing in")
        seen["dashboard"] = driver.find_element(By.TAG_NAME, "main").text
        seen["chart_bars"] = len(driver.find_elements(By.CSS_SELECTOR, "svg.chart rect"))
        seen["shots"] += _shoot(driver, "1-tong-quan")

        driver.find_element(By.LINK_TEXT, "Báo cáo").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "ds"), "the reports list")
        seen["shots"] += _shoot(driver, "2-bao-cao")
        # htmx: choosing a status replaces the list in place, and the address says the filter.
        marker = driver.execute_script("window.__same_page = 1; return window.__same_page")
        Select(driver.find_element(By.NAME, "trang-thai")).select_by_value("approved")
        _wait(driver, lambda d: "1 báo cáo" in d.find_element(By.ID, "ds").text
              and report_code not in d.find_element(By.ID, "ds").text, "the filtered list")  # the approved one
        seen["same_page"] = marker == driver.execute_script("return window.__same_page")
        seen["filtered_url"] = driver.current_url
        Select(driver.find_element(By.NAME, "trang-thai")).select_by_value("")
        _wait(driver, lambda d: report_code in d.find_element(By.ID, "ds").text, "the whole list again")

        driver.find_element(By.LINK_TEXT, report_code).click()
        _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".photos img"), "the report's page")
        _wait(driver, lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('.photos img')).every(i => i.complete)"), "photos loaded")
        seen["photo_widths"] = driver.execute_script(
            "return Array.from(document.querySelectorAll('.photos img')).map(i => i.naturalWidth)")
        seen["report"] = driver.find_element(By.TAG_NAME, "main").text
        seen["shots"] += _shoot(driver, "3-bao-cao-chi-tiet")

        driver.find_element(By.LINK_TEXT, "Hỏi Văn phòng").click()
        _wait(driver, lambda d: "Chưa trả lời" in d.find_element(By.TAG_NAME, "main").text, "the Office's questions")
        seen["office"] = driver.find_element(By.TAG_NAME, "main").text
        seen["shots"] += _shoot(driver, "4-hoi-van-phong")

        driver.find_element(By.LINK_TEXT, "Xuất").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "tai-list"), "the Xuất page")
        seen["shots"] += _shoot(driver, "6-xuat")
        driver.find_element(By.ID, "tai-list").click()
        seen["award_list"] = _wait(driver, lambda d: _downloaded(downloads, ".xlsx"), "the award list downloaded")

        driver.find_element(By.LINK_TEXT, "Lịch nhắc hạn").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "so-nguoi"), "the reminders page")
        seen["shots"] += _shoot(driver, "7-lich-nhac-han")
        Select(driver.find_element(By.NAME, "doi-tuong")).select_by_value("unit:van-phong")
        _wait(driver, lambda d: "Văn phòng" in d.find_element(By.ID, "so-nguoi").text, "the reach of one unit")
        seen["reach"] = driver.find_element(By.ID, "so-nguoi").text
        seen["deadlines"] = driver.find_element(By.TAG_NAME, "main").text
        driver.find_element(By.LINK_TEXT, "Báo cáo thi đua quý IV").click()
        _wait(driver, lambda d: "Gửi không được" in d.find_element(By.TAG_NAME, "main").text, "one deadline")
        seen["deadline"] = driver.find_element(By.TAG_NAME, "main").text
        seen["shots"] += _shoot(driver, "8-han-chi-tiet")

        # The search box narrows the reports as one types (htmx, no button).
        driver.find_element(By.LINK_TEXT, "Báo cáo").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "tim"), "the reports list again")
        driver.find_element(By.ID, "tim").send_keys("cuong")
        _wait(driver, lambda d: report_code not in d.find_element(By.ID, "ds").text
              and approved_code in d.find_element(By.ID, "ds").text, "the searched list")
        seen["searched_url"] = driver.current_url
        seen["shots"] += _shoot(driver, "9-bao-cao-tim")

        # Decisions: approve the report with an award, answer the older Office question.
        driver.get(f"{base}/bao-cao/{report_code}")
        _wait(driver, lambda d: d.find_elements(By.ID, "duyet"), "the report's decision forms")
        Select(driver.find_element(By.ID, "de-xuat")).select_by_value("bk-vkstc")
        seen["approved"] = _result_of(driver, driver.find_element(By.ID, "duyet"), "the message after approving")
        seen["forms_after"] = len(driver.find_elements(By.ID, "duyet"))
        driver.find_element(By.LINK_TEXT, "Hỏi Văn phòng").click()
        _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "form.answer-form textarea"), "the answer forms")
        box = driver.find_elements(By.CSS_SELECTOR, "form.answer-form textarea")[0]
        box.send_keys("Trước ngày 15/12, nộp 02 bộ về Văn phòng.")
        seen["answered"] = _result_of(driver, box.find_element(By.XPATH, "./ancestor::form//button"),
                                      "the message after answering")
        # An announcement to one unit: counted (htmx swaps the count and the button), then sent.
        driver.find_element(By.LINK_TEXT, "Lịch nhắc hạn").click()
        _wait(driver, lambda d: d.find_elements(By.ID, "gui-thong-bao"), "the announcement form")
        Select(driver.find_element(By.NAME, "doi-tuong")).select_by_value("unit:van-phong")
        _wait(driver, lambda d: "Gửi tới 1 người" in d.find_element(By.ID, "gui-thong-bao").text, "the count of one unit")
        driver.find_element(By.ID, "noi-dung-thong-bao").send_keys("Chiều nay họp sơ kết thi đua lúc 14 giờ.")
        seen["announced"] = _result_of(driver, driver.find_element(By.ID, "gui-thong-bao"),
                                       "the message after announcing")
        # A new deadline for one unit, typed as an officer types it; it is listed among the coming ones.
        driver.find_element(By.ID, "ten-han").send_keys("Nộp báo cáo điển hình tiên tiến")
        due = (datetime.now(timezone(timedelta(hours=7))) + timedelta(days=14)).strftime("%d/%m/%Y 16:30")
        driver.find_element(By.ID, "han-luc").send_keys(due)
        Select(driver.find_element(By.ID, "doi-tuong-han")).select_by_value("unit:van-phong")
        nhac = driver.find_element(By.ID, "nhac-truoc")
        nhac.clear()
        nhac.send_keys("3, 1")
        seen["added"] = _result_of(driver, driver.find_element(By.ID, "tao-han"), "the message after adding a deadline")
        seen["deadlines_after"] = driver.find_element(By.TAG_NAME, "main").text

        seen["console_errors"] = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        driver.find_element(By.CSS_SELECTOR, "form.signout button").click()
        _wait(driver, lambda d: "chưa đăng nhập" in d.find_element(By.TAG_NAME, "main").text, "signed out")
        seen["shots"] += _shoot(driver, "5-da-dang-xuat")
        driver.back()
        driver.refresh()
        seen["after_sign_out"] = driver.find_element(By.TAG_NAME, "main").text
    finally:
        driver.quit()
    return seen


async def test_an_officer_on_zalo_signs_in_and_reads_a_report_with_its_photo(zalo_bot) -> None:  # noqa: ANN001
    app, fake = zalo_bot
    seeded = seed(app)
    more = seed_more(app, seeded)
    downloads = SHOTS.parent / "downloads"
    shutil.rmtree(downloads, ignore_errors=True)
    downloads.mkdir(parents=True)
    # Only this test's own screenshots: test_web_curation_browser.py writes into a folder of
    # SHOTS (noi-dung/), maybe at this very moment on another worker.
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink(missing_ok=True)
    async with serve(app, officers=set(app.settings.admin_ids)) as srv:
        app.conversation.console_url = srv.url  # where /dangnhap's links lead (PUBLIC_URL in production)
        fake.push(make_update(message_id="login-1", text="/dangnhap", user=OFFICER_ZALO, name="Lê Văn Cán"))
        [reply] = await fake.wait_texts(OFFICER_ZALO, 1, timeout=10)
        link = re.search(r"http://127\.0\.0\.1:\d+/van-phong/dang-nhap/\S+", reply)
        assert link, reply
        started = time.monotonic()
        seen = await asyncio.to_thread(_browse, link.group(0), seeded.report_code, more.approved_code, downloads)
        took = time.monotonic() - started
    print(f"browser session: {took:.1f} s, screenshots in {SHOTS}")
    assert re.search(r"\b1\s*báo cáo chờ duyệt", seen["dashboard"]), seen["dashboard"]
    assert "Báo cáo thi đua quý IV" in seen["dashboard"] and seen["chart_bars"] >= 4
    assert seen["same_page"] and "trang-thai=approved" in seen["filtered_url"]
    assert seen["photo_widths"] == [64], seen["photo_widths"]  # loaded and displayed, its real size
    assert "Trần Thị Bình" in seen["report"] and "<script>alert(1)</script>" in seen["report"]
    assert "Bằng khen Thủ tướng" in seen["office"]
    assert seen["console_errors"] == [], seen["console_errors"]  # no CSP violation, no failed load
    assert "chưa đăng nhập" in seen["after_sign_out"]
    # Xuất: the award list, downloaded by the browser, opens and holds the approved report.
    from openpyxl import load_workbook

    sheet = load_workbook(seen["award_list"]).active
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    assert seen["award_list"].name.startswith("danh-sach-de-nghi-khen-thuong-")
    assert "Phạm Đức Cường" in cells and more.approved_code in cells and "Trần Thị Bình" not in cells
    assert "Báo cáo thi đua quý IV" in seen["deadlines"] and "Nộp hồ sơ Chiến sĩ thi đua" in seen["deadlines"]
    assert re.search(r"\b1 người \(Telegram 0, Zalo 1\)", seen["reach"]), seen["reach"]
    assert "Lê Thị Cúc (Telegram)" in seen["deadline"] and "Nguyễn Văn An" in seen["deadline"]
    assert "tim=cuong" in seen["searched_url"]
    # The decisions reached the staff member on Zalo, through the outbox and the delivery worker.
    assert f"Đã duyệt báo cáo {seeded.report_code}" in seen["approved"] and seen["forms_after"] == 0
    assert "Đã gửi trả lời câu hỏi số" in seen["answered"], seen["answered"]
    assert "Đã xếp 1 tin vào hàng gửi" in seen["announced"], seen["announced"]
    to_staff = await fake.wait_texts("u-an", 3, timeout=15)
    assert any("Chiều nay họp sơ kết thi đua" in m for m in to_staff), to_staff
    assert any(seeded.report_code in m and "Bằng khen của Viện trưởng VKSND tối cao" in m for m in to_staff), to_staff
    assert any("Hồ sơ đề nghị Bằng khen Thủ tướng nộp trước ngày nào?" in m and "02 bộ về Văn phòng" in m
               for m in to_staff), to_staff
    assert "Nộp báo cáo điển hình tiên tiến" in seen["deadlines_after"], seen["added"]
    with Session(app.repo.engine) as s:
        added = s.exec(select(Deadline).where(Deadline.title == "Nộp báo cáo điển hình tiên tiến")).one()
        assert added.audience == "unit:van-phong" and added.offsets == [3, 1], added
    assert len(seen["shots"]) == 20 and all(p.stat().st_size > 1000 for p in seen["shots"])
