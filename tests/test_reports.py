"""Good-example reports through the conversation, in-process (Zalo-like: numbered
lists, no buttons): profile, the guided form, confirmation and its code, status,
review, additions, withdrawal, profile deletion, and bad input at every step."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import build_app
from bot.settings import load_settings
from handlers import texts
from handlers.events import Reply
from storage import reports
from storage.models import Profile, Report, ReportEvent
from tests.conftest import REAL_CONTENT, Talk

OFFICER = "off1"
STORY = "Anh An trực chốt kiểm dịch 30 ngày liền, hỗ trợ bà con qua chốt, không để xảy ra sai sót nào."


@pytest.fixture
def rapp(tmp_path: Path):  # noqa: ANN201
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, admin_ids=f"zalo:{OFFICER}")
    return build_app(settings)


@pytest.fixture
def t(rapp) -> Talk:  # noqa: ANN001
    return Talk(rapp)


def text(replies: list[Reply]) -> str:
    return "\n".join(r.full_text for r in replies)


def pick(replies: list[Reply], label_part: str) -> str:
    """The number of the choice whose label holds `label_part`, in the last list shown."""
    last = next(r for r in reversed(replies) if r.choices)
    for i, c in enumerate(last.choices, 1):
        if label_part.lower() in c.label.lower():
            return str(i)
    raise AssertionError(f"no choice with {label_part!r} in {[c.label for c in last.choices]}")


def outbox_texts(app, chat: str) -> list[str]:  # noqa: ANN001
    from storage.models import OutboxMessage
    with app.repo.session() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == chat, OutboxMessage.kind == "notice")
                      .order_by(OutboxMessage.id)).all()
        return [r.payload["reply"]["text"] for r in rows]


def submit_one(t: Talk, user: str = "u1", story: str = STORY) -> str:
    """A full report as a new staff member reading only the prompts; returns its code."""
    r = t("/gui", user=user)
    if "Họ và tên" in text(r):  # the first report: the profile first
        assert "Nghị định 13/2023" in text(r)
        r = t("nguyễn thị bình", user=user)
        assert "đơn vị" in text(r) and "danh sách mẫu" in text(r)
        r = t(pick(r, "Văn phòng"), user=user)
    assert "kể về ai" in text(r)
    r = t(pick(r, "đồng nghiệp"), user=user)
    r = t("Nguyễn Văn An", user=user)
    r = t(pick(r, "Văn phòng"), user=user)
    assert "tiêu chí" in text(r)
    r = t(pick(r, "2.1"), user=user)
    r = t(story, user=user)
    assert "khi nào" in text(r)
    r = t("hôm qua", user=user)
    assert "minh chứng" in text(r)
    r = t(pick(r, "Không có tệp"), user=user)
    assert "kiểm tra phiếu" in text(r) and "Nguyễn Văn An" in text(r)
    r = t(pick(r, "Gửi báo cáo"), user=user)
    code = text(r).split("mã ", 1)[1].split(".", 1)[0]
    assert code.startswith(f"GT-{date.today().year}-")
    return code


def test_a_new_staff_member_reports_and_an_officer_approves(t: Talk, rapp) -> None:  # noqa: ANN001
    code = submit_one(t)
    with rapp.repo.session() as s:
        row = s.exec(select(Report)).one()
        assert row.code == code and row.status == "pending" and row.subject_name == "Nguyễn Văn An"
        assert row.submitter_name == "Nguyễn Thị Bình" and row.criterion == "2.1" and row.story == STORY
        assert s.get(Profile, row.user_id).unit_id == "van-phong"
    assert any(code in n and "Duyệt" not in n for n in outbox_texts(rapp, OFFICER))

    # The officer reviews: /duyet shows the card, approve, pick the award.
    r = t("/duyet", user=OFFICER)
    assert code in text(r) and "Nguyễn Văn An" in text(r)
    r = t(pick(r, "Duyệt"), user=OFFICER)
    assert "hình thức" in text(r)
    r = t(pick(r, "Thủ tướng"), user=OFFICER)
    assert "Đã duyệt" in text(r)
    with rapp.repo.session() as s:
        row = s.exec(select(Report)).one()
        assert row.status == "approved" and row.proposed_award == "bk-ttg" and row.reviewed_by == f"zalo:{OFFICER}"
        assert [e.kind for e in s.exec(select(ReportEvent).order_by(ReportEvent.id))] == ["submitted", "approved"]
    assert any("đã được duyệt" in n and "Bằng khen của Thủ tướng" in n for n in outbox_texts(rapp, "u1"))

    # The submitter sees it in their list.
    r = t("/baocaocuatoi")
    assert code in text(r) and "đã duyệt" in text(r)


def test_reject_needs_a_reason_and_ask_for_more_is_answered_in_chat(t: Talk, rapp) -> None:  # noqa: ANN001
    first = submit_one(t)
    second = submit_one(t, story=STORY + " Lần thứ hai.")
    assert int(second[-4:]) == int(first[-4:]) + 1
    r = t("/duyet", user=OFFICER)
    assert first in text(r)
    r = t(pick(r, "Không duyệt"), user=OFFICER)
    r = t("", user=OFFICER)  # an empty answer: asked again
    assert "Lý do" in text(r)
    r = t("Chưa rõ thành tích", user=OFFICER)
    assert "không duyệt" in text(r).lower() and "Còn 1" in text(r)
    r = t(pick(r, "tiếp theo"), user=OFFICER)
    assert second in text(r)
    r = t(pick(r, "bổ sung"), user=OFFICER)
    r = t("Gửi thêm xác nhận của đơn vị", user=OFFICER)
    assert "yêu cầu bổ sung" in text(r)
    notices = outbox_texts(rapp, "u1")
    assert any("Lý do: Chưa rõ thành tích" in n for n in notices)
    assert any("cần bổ sung" in n and "xác nhận của đơn vị" in n for n in notices)

    # The submitter picks "Bổ sung" from their list, types the addition, sends it.
    r = t("/baocaocuatoi")
    assert "cần bổ sung" in text(r) and "Chưa rõ thành tích" in text(r)
    r = t(pick(r, f"Bổ sung {second}"))
    r = t("Đã có xác nhận của Chánh Văn phòng ngày 3/3.")
    assert "Đã có: nội dung" in text(r)
    r = t(pick(r, "Gửi bổ sung"))
    assert "trở lại chờ duyệt" in text(r)
    with rapp.repo.session() as s:
        row = reports.by_submit_key(s, s.exec(select(Report).where(Report.code == second)).one().submit_key)
        assert row.status == "pending"
        assert reports.additions(s, row.id) == ["Đã có xác nhận của Chánh Văn phòng ngày 3/3."]
    assert any("đã bổ sung" in n for n in outbox_texts(rapp, OFFICER))


def test_bad_input_at_each_step_loses_nothing(t: Talk, rapp) -> None:  # noqa: ANN001
    t("/gui")
    r = t("  ")
    assert "Họ và tên" in text(r)
    t("Trần Văn Cường")
    r = t("99")  # outside the unit list
    r = t(pick(t("quay lại"), "Văn phòng")) if "đơn vị" not in text(r) else t(pick(r, "Văn phòng"))
    r = t(pick(r, "Bản thân"))
    assert "tiêu chí" in text(r)
    r = t(pick(r, "Khác"))
    r = t("ngắn")
    assert "ít nhất 30" in text(r)
    r = t("x" * 10_000)
    assert "10.000 ký tự" in text(r) and "tối đa 4.000" in text(r)
    r = t(STORY)
    r = t("31/12/2099")
    assert "phía trước" in text(r)
    r = t("ngày mai nhé")
    assert "«ngày mai nhé» còn ở phía trước" in text(r)
    r = t("hôm trước hôm sau")
    assert "chưa đọc được" in text(r)
    r = t("tháng trước")
    assert "minh chứng" in text(r)
    # A question in the middle is answered and the step shown again.
    r = t("hồ sơ bằng khen thủ tướng gồm mấy bộ")
    assert "04 bộ" in text(r) and "minh chứng" in text(r)
    r = t(pick(r, "Không có tệp"))
    assert "Trần Văn Cường" in text(r)
    # Edit the story from the summary, then come back to it.
    r = t(pick(r, "Sửa"))
    r = t(pick(r, "Câu chuyện"))
    r = t(STORY + " Đã sửa.")
    assert "kiểm tra phiếu" in text(r) and "Đã sửa." in text(r)
    r = t(pick(r, "Gửi báo cáo"))
    assert "mã GT-" in text(r)
    # A second Confirm, from the old list: stored once.
    r = t("1")
    with rapp.repo.session() as s:
        assert len(s.exec(select(Report)).all()) == 1


def test_officers_only_and_privacy(t: Talk, rapp) -> None:  # noqa: ANN001
    submit_one(t)
    r = t("/duyet", user="someone")
    assert text(r) == texts.NOT_ADMIN
    r = t("/xuat", user="someone")
    assert text(r) == texts.NOT_ADMIN
    with rapp.repo.session() as s:
        rid = s.exec(select(Report)).one().id
    r = t("", user="someone", choice=f"r:ok:{rid}")
    assert text(r) == texts.NOT_ADMIN
    r = t("/baocaocuatoi", user="someone")
    assert "chưa gửi báo cáo nào" in text(r)
    r = t("", user="someone", choice=f"r:wd:{rid}")
    assert "Không tìm thấy" in text(r)


def test_stale_review_button_and_two_officers(t: Talk, rapp) -> None:  # noqa: ANN001
    submit_one(t)
    with rapp.repo.session() as s:
        rid = s.exec(select(Report)).one().id
    r = t("", user=OFFICER, choice=f"r:no:{rid}")
    assert "Lý do" in text(r)
    # Meanwhile the submitter withdraws it.
    r = t("/baocaocuatoi")
    r = t(pick(r, "Rút báo cáo"))
    assert "không xét báo cáo này nữa" in text(r)  # asked first
    r = t(pick(r, "Rút báo cáo"))
    assert "Đã rút" in text(r)
    assert any("đã rút báo cáo" in n for n in outbox_texts(rapp, OFFICER))
    r = t("Không đủ căn cứ", user=OFFICER)
    assert "rút lại" in text(r)
    r = t("", user=OFFICER, choice=f"r:ok:{rid}")
    assert "rút lại" in text(r)


def test_profile_show_edit_and_delete(t: Talk, rapp) -> None:  # noqa: ANN001
    r = t("/hoso")
    assert "chưa khai hồ sơ" in text(r)
    submit_one(t)
    r = t("/hoso")
    assert "Nguyễn Thị Bình" in text(r) and "Nghị định 13/2023" in text(r)
    r = t(pick(r, "Sửa vai trò"))
    r = t(pick(r, "Có"))
    assert "Lãnh đạo đơn vị: có" in text(r)
    r = t("/xoahoso")
    assert "(1)" in text(r)
    r = t(pick(r, "Xóa hồ sơ"))
    assert "đã rút 1 báo cáo" in text(r)
    with rapp.repo.session() as s:
        assert s.exec(select(Profile)).all() == []
        assert s.exec(select(Report)).one().status == "withdrawn"


def test_a_story_told_straight_away_is_prefilled(t: Talk, rapp) -> None:  # noqa: ANN001
    r = t("em muốn kể về anh Nguyễn Văn A, trực chốt 30 ngày liền không về nhà, giúp dân rất nhiệt tình")
    assert "ghi lại câu chuyện đồng chí vừa kể và tên «Nguyễn Văn A»" in text(r) and "Họ và tên" in text(r)
    r = t("Lê Văn Dũng")
    r = t(pick(r, "Văn phòng"))
    r = t(pick(r, "đồng nghiệp"))
    assert "thuộc đơn vị nào" in text(r)  # the name was in the story: not asked again
    r = t(pick(r, "Văn phòng"))
    r = t(pick(r, "trực tiếp tham gia"))
    assert "khi nào" in text(r)  # the story step is skipped: it was told already
    r = t("15/3")
    r = t(pick(r, "Không có tệp"))
    assert "trực chốt 30 ngày liền" in text(r)
    r = t(pick(r, "Gửi báo cáo"))
    with rapp.repo.session() as s:
        row = s.exec(select(Report)).one()
        assert row.story.startswith("anh Nguyễn Văn A, trực chốt") and row.criterion == "doi-tuong-truc-tiep"
        assert row.subject_name == "Nguyễn Văn A" and row.happened_precision == "day"


def test_invite_code_is_asked_once(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, staff_invite_code="VKS-2026")
    t = Talk(build_app(settings))
    r = t("/gui")
    assert "mã cán bộ" in text(r)
    r = t("sai ma")
    assert "Mã chưa đúng" in text(r)
    r = t("vks-2026")
    assert "Họ và tên" in text(r)
    t("/huy")
    r = t("/gui")
    assert "mã cán bộ" not in text(r) and "Họ và tên" in text(r)


def test_two_officers_deciding_at_once_the_second_is_told(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, admin_ids="zalo:offA,zalo:offB")
    app = build_app(settings)
    t = Talk(app)
    submit_one(t)
    with app.repo.session() as s:
        rid = s.exec(select(Report)).one().id
    r = t("", user="offA", choice=f"r:no:{rid}")  # A starts to reject, types slowly
    assert "Lý do" in text(r)
    r = t("", user="offB", choice=f"r:ok:{rid}")  # B approves meanwhile
    r = t(pick(r, "Giấy khen"), user="offB", display_name="Phạm Bình")
    assert "Đã duyệt" in text(r)
    r = t("Thành tích chưa rõ ràng", user="offA")
    assert "đã được Phạm Bình xử lý" in text(r) and "đã duyệt" in text(r)
    with app.repo.session() as s:
        row = s.exec(select(Report)).one()
        assert row.status == "approved" and row.proposed_award == "giay-khen" and row.review_note is None
        assert [e.kind for e in s.exec(select(ReportEvent))] == ["submitted", "approved"]


def test_an_officer_on_zalo_gets_one_time_links_to_the_files(t: Talk, rapp) -> None:  # noqa: ANN001
    from bot.app import link_maker
    from storage.models import DownloadLink

    submit_one(t)
    with rapp.repo.session() as s:
        row = s.exec(select(Report)).one()
        stored = rapp.files.put(b"%PDF-1.4 xac nhan", mime_type="application/pdf", original_name="xac-nhan.pdf",
                                owner_user_id=row.user_id, session=s)
        reports.add_files(s, row.id, [stored.id], "submission")
        s.commit()
    r = t("/duyet", user=OFFICER)
    assert "cán bộ quản trị đặt PUBLIC_URL" in text(r)  # no links without a public address
    rapp.conversation.review.make_link = link_maker("https://bot.example.vn")
    t("/huy", user=OFFICER)
    r = t("/duyet", user=OFFICER)
    assert "- xac-nhan.pdf: https://bot.example.vn/d/" in text(r)
    with rapp.repo.session() as s:
        [link] = s.exec(select(DownloadLink)).all()
        assert link.created_for == f"zalo:{OFFICER}" and link.file_id == stored.id
    # The submitter never gets a link to anything.
    assert "https://" not in text(t("/baocaocuatoi"))


def test_cancelling_a_draft_with_a_story_asks_first(t: Talk, rapp) -> None:  # noqa: ANN001
    t("em muốn kể về chị Lan, trực chốt 30 ngày liền không về nhà, giúp dân rất nhiệt tình")
    t("Lê Văn Dũng")
    r = t("/huy")
    assert "Những gì đã nhập sẽ bị bỏ" in text(r)
    r = t(pick(r, "Không hủy"))
    assert "thuộc đơn vị nào" in text(r) or "đơn vị" in text(r)
    r = t("gò dầu")  # part of one unit's name
    assert "kể về ai" in text(r)
    with rapp.repo.session() as s:
        assert s.exec(select(Profile)).one().unit_id.endswith("go-dau")
    r = t("/huy")
    r = t(pick(r, "Hủy, bỏ"))
    assert "Đã hủy" in text(r)


def test_dates_as_precise_as_told_and_questions_at_a_text_step(t: Talk, rapp) -> None:  # noqa: ANN001
    t("/gui")
    t("Trần Văn Cường")
    r = t(pick(t("99"), "Văn phòng"))
    r = t(pick(r, "Bản thân"))
    r = t("99")
    assert "không có số 99" in text(r)
    r = t(pick(r, "Khác"))
    r = t("cho em hỏi tiêu chuẩn bằng khen thủ tướng là gì")  # a question, not the story
    assert "Bằng khen" in text(r) and "kể việc làm cụ thể" in text(r)
    r = t(STORY)
    r = t("")
    assert "chưa nhập nội dung" in text(r) and "khi nào" in text(r) and "Menu" not in text(r)
    r = t("tháng 9/2021")
    r = t(pick(r, "Không có tệp"))
    assert "Thời gian: tháng 09/2021" in text(r)
    t(pick(r, "Gửi báo cáo"))
    with rapp.repo.session() as s:
        row = s.exec(select(Report)).one()
        assert row.happened_precision == "month" and row.happened_on == date(2021, 9, 1)
