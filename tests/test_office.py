"""'Hỏi Văn phòng' played by a staff member and two officers, in-process through the
real pipeline (each message a committed turn) on SQLite and, when CI provides it,
PostgreSQL; and the flow rules every form shares (/huy, quay lại, a question in
the middle, a stale choice, a restart between steps)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App, build_app
from bot.settings import load_settings
from handlers import texts
from handlers.events import IncomingEvent
from storage.models import OfficeQuestion, OutboxMessage
from tests.conftest import REAL_CONTENT, Talk

OFFICERS = "zalo:cb-an,zalo:cb-binh"
OUT_OF_SCOPE = "thủ tục làm hộ chiếu công vụ"


def make_app(tmp_path: Path, url: str | None = None) -> App:
    extra = {"database_url": url} if url else {}
    return build_app(load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, admin_ids=OFFICERS, **extra))


@pytest.fixture
def office(tmp_path: Path) -> App:
    return make_app(tmp_path)


def notices(app: App, chat: str) -> list[OutboxMessage]:
    with app.repo.session() as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == chat, OutboxMessage.kind == "notice")
                           .order_by(OutboxMessage.id)))


def questions(app: App) -> list[OfficeQuestion]:
    with app.repo.session() as s:
        return list(s.exec(select(OfficeQuestion).order_by(OfficeQuestion.id)))


def labels(reply) -> list[str]:  # noqa: ANN001
    return [c.label for c in reply.choices]


def test_staff_send_a_question_after_a_fallback_and_an_officer_answers_it(office: App):
    say = Talk(office)
    [fallback] = say(OUT_OF_SCOPE, user="staff", display_name="Trần Thị Lan")
    assert fallback.text == texts.FALLBACK and labels(fallback)[0] == texts.MENU_ASK_OFFICE
    [confirm] = say("1", user="staff", display_name="Trần Thị Lan")
    assert OUT_OF_SCOPE in confirm.text and labels(confirm) == [texts.OFFICE_SEND, texts.OFFICE_EDIT,
                                                               texts.FLOW_BACK, texts.FLOW_CANCEL]
    [sent] = say("gửi", user="staff", display_name="Trần Thị Lan")
    assert sent.text == texts.OFFICE_SENT.format(qid=1)
    [row] = questions(office)
    assert (row.question, row.status, row.asker_name) == (OUT_OF_SCOPE, "open", "Trần Thị Lan")
    # Each officer is told, with a "Trả lời" choice that a bare "1" picks on Zalo.
    for officer in ("cb-an", "cb-binh"):
        [note] = notices(office, officer)
        assert OUT_OF_SCOPE in note.payload["reply"]["text"] and "Trần Thị Lan" in note.payload["reply"]["text"]
        assert note.payload["reply"]["choices"] == [{"id": "oq:reply:1", "label": texts.OFFICE_REPLY}]
    [prompt] = say("1", user="cb-an", display_name="Nguyễn Văn An")
    assert OUT_OF_SCOPE in prompt.text and "gõ nội dung trả lời" in prompt.text
    [check] = say("Đồng chí liên hệ Phòng Tổ chức cán bộ, số máy lẻ 204.", user="cb-an", display_name="Nguyễn Văn An")
    assert "204" in check.text and labels(check)[0] == texts.OFFICE_SEND
    [done] = say("1", user="cb-an", display_name="Nguyễn Văn An")
    assert done.text == texts.OFFICE_ANSWER_SENT.format(qid=1, asker="Trần Thị Lan")
    [answer] = notices(office, "staff")
    body = answer.payload["reply"]["text"]
    assert OUT_OF_SCOPE in body and "số máy lẻ 204" in body and "Nguyễn Văn An" in body
    assert answer.dedup_key == "office:1:answer"
    [row] = questions(office)
    assert (row.status, row.answered_by, row.answerer_name) == ("answered", "zalo:cb-an", "Nguyễn Văn An")
    # The second officer, late, is told who answered and what.
    [late] = say("1", user="cb-binh")
    assert "đã được Nguyễn Văn An trả lời" in late.text and "204" in late.text


def test_from_the_help_menu_with_cancel_back_and_a_question_in_the_middle(office: App):
    say = Talk(office)
    [helped] = say("/trogiup", user="s2")
    assert labels(helped) == [texts.MENU_ASK_OFFICE, texts.BACK_TO_MENU]
    [ask] = say("1", user="s2")
    # On Zalo a typed answer is expected: no numbered list ("1" could be the answer), the words instead.
    assert ask.text == f"{texts.OFFICE_ASK_PROMPT}\n\n{texts.FLOW_TEXT_HINT}" and labels(ask) == []
    [short] = say("hỏi", user="s2")
    assert "ngắn quá" in short.text and texts.OFFICE_ASK_PROMPT in short.text
    [long] = say("x" * 1200, user="s2")
    assert "1.200 ký tự" in long.text
    [confirm] = say("Cán bộ biệt phái có được xét khen thưởng ở đơn vị mới không?", user="s2")
    assert "biệt phái" in confirm.text
    [back] = say("quay lại", user="s2")
    assert back.text.startswith(texts.OFFICE_ASK_PROMPT)
    say("Cán bộ biệt phái được xét khen thưởng ở đâu?", user="s2")
    # A question typed at a choice step is answered, then the step is shown again; the
    # answer's own choices become plain lines so "1" still answers the step.
    replies = say("bằng khen thủ tướng cần mấy bộ hồ sơ", user="s2")
    assert len(replies) == 2 and "04 bộ" in replies[0].text and not replies[0].choices
    assert replies[1].text.startswith(texts.FLOW_RESUME.format(title=texts.OFFICE_TITLE))
    [cancelled] = say("/huy", user="s2")
    assert cancelled.text == texts.FLOW_CANCELLED.format(title=texts.OFFICE_TITLE)
    assert questions(office) == [] and notices(office, "cb-an") == []
    [nothing] = say("/huy", user="s2")
    assert nothing.text == texts.NOTHING_TO_CANCEL


def test_a_stale_choice_never_answers_another_step_and_a_flow_survives_a_restart(office: App):
    say = Talk(office)
    say(OUT_OF_SCOPE, user="s3")
    say("1", user="s3")  # confirm step
    [question_step] = say("quay lại", user="s3")
    assert question_step.text == f"{texts.OFFICE_ASK_PROMPT}\n\n{texts.FLOW_TEXT_HINT}"
    # A button of the confirm step pressed now (an old message): refused, the current step shown.
    [stale] = say(choice="f:confirm:send", user="s3")
    assert stale.text.startswith(texts.FLOW_STALE) and questions(office) == []
    # The process restarts: the form goes on at the same step.
    again = Talk(build_app(office.settings))
    [confirm] = again("Cán bộ nghỉ hưu có được khen thưởng không?", user="s3")
    assert "nghỉ hưu" in confirm.text
    [sent] = again(choice="f:confirm:send", user="s3")
    assert sent.text == texts.OFFICE_SENT.format(qid=1)
    # A button of the finished form: it is over.
    [over] = again(choice="f:confirm:send", user="s3")
    assert over.text == texts.FLOW_STALE_NONE and len(questions(office)) == 1


def test_only_officers_can_answer(office: App):
    say = Talk(office)
    say(OUT_OF_SCOPE, user="s4")
    say("1", user="s4")
    say("1", user="s4")
    [refused] = say(choice="oq:reply:1", user="s4")
    assert refused.text == texts.NOT_ADMIN
    [missing] = say(choice="oq:reply:99", user="cb-an")
    assert missing.text == texts.OFFICE_NO_SUCH_QUESTION.format(qid=99)


def test_with_no_officer_configured_the_question_is_kept_and_the_staff_member_told(tmp_path: Path):
    app = build_app(load_settings(data_dir=tmp_path / "d", content_dir=REAL_CONTENT))
    say = Talk(app)
    say(OUT_OF_SCOPE, user="s5")
    say("1", user="s5")
    [sent] = say("1", user="s5")
    assert sent.text == texts.OFFICE_SENT_NO_OFFICER.format(qid=1) and len(questions(app)) == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    yield request.getfixturevalue("pg_url")


async def test_two_officers_sending_at_the_same_moment_send_one_answer(tmp_path: Path, any_db: str | None):
    app = make_app(tmp_path, any_db)
    say = Talk(app)
    say(OUT_OF_SCOPE, user="s6")
    say("1", user="s6")
    say("1", user="s6")
    for officer in ("cb-an", "cb-binh"):
        say("1", user=officer, display_name=officer)
        say(f"Trả lời của {officer}: liên hệ Phòng Tổ chức.", user=officer, display_name=officer)
    # Both press "Gửi" at once: two turns committing concurrently.
    pipeline = say.pipeline

    def press(officer: str, n: int):  # noqa: ANN202
        key = f"race-{n}"
        app.repo.accept_update("zalo", key, None)
        event = IncomingEvent(channel="zalo", chat_id=officer, user_id=officer, choice="f:confirm:send",
                              display_name=officer, message_id=key)
        return pipeline.commit_turn(event, key)

    a, b = await asyncio.gather(asyncio.to_thread(press, "cb-an", 1), asyncio.to_thread(press, "cb-binh", 2))
    outcomes = sorted(t.replies[0].text.split("\n")[0] for t in (a, b))
    assert sum(t.startswith("Đã gửi trả lời") for t in outcomes) == 1, outcomes
    assert sum("đã được" in t for t in outcomes) == 1, outcomes
    [answer] = notices(app, "s6")
    [row] = questions(app)
    assert row.answered_by in ("zalo:cb-an", "zalo:cb-binh")
    assert row.answered_by.split(":")[1] in answer.payload["reply"]["text"]


def test_unanswered_lists_the_questions_sent_to_the_office_and_their_answers(office: App, monkeypatch, capsys):  # noqa: ANN001
    from bot import cli

    say = Talk(office)
    say(OUT_OF_SCOPE, user="s7", display_name="Lê Văn Tâm")
    say("1", user="s7")
    say("1", user="s7")
    say("1", user="cb-an", display_name="Nguyễn Văn An")
    say("Liên hệ Phòng Tổ chức cán bộ.", user="cb-an", display_name="Nguyễn Văn An")
    say("1", user="cb-an", display_name="Nguyễn Văn An")
    monkeypatch.setattr(cli, "load_settings", lambda: office.settings)
    assert cli.main(["unanswered"]) == 0
    out = capsys.readouterr().out
    assert OUT_OF_SCOPE in out and "Câu hỏi gửi Văn phòng" in out
    assert "đã trả lời (Nguyễn Văn An" in out and "Phòng Tổ chức cán bộ" in out


def test_the_console_plays_both_sides(tmp_path: Path):
    """An officer trying the bot in the terminal asks, gets the notice, answers it, and
    receives the answer: the whole exchange through the console channel."""
    from bot.console import run_console

    app = build_app(load_settings(data_dir=tmp_path / "c", content_dir=REAL_CONTENT, admin_ids="console:chi"))
    lines = [OUT_OF_SCOPE, "1", "Gửi", "1", "Đồng chí liên hệ Phòng Tổ chức cán bộ.", "Gửi"]
    out = io.StringIO()
    assert run_console(app, io.StringIO("\n".join(lines) + "\n"), out, user_id="chi") == 0
    shown = out.getvalue()
    assert texts.OFFICE_SENT.format(qid=1) in shown
    assert "Câu hỏi mới số 1 gửi Văn phòng" in shown and "1. Trả lời" in shown
    assert "Văn phòng VKSND tỉnh trả lời câu hỏi của đồng chí" in shown and "Phòng Tổ chức cán bộ" in shown
    assert {r.status for r in app.outbox.rows()} == {"sent"}


OFFICER_COMMANDS = ["/duyet", "/xuat", "/cauhoi", "/hanmoi", "/thongbao", "/thongke", "/reload"]


def test_help_shows_an_officer_their_commands_and_staff_get_one_refusal_for_each(office: App):
    say = Talk(office)
    [officer_help] = say("/trogiup", user="cb-an")
    [staff_help] = say("/trogiup", user="s8")
    for command in OFFICER_COMMANDS:
        assert command in officer_help.text, command
        assert command not in staff_help.text, command
    assert "/toi" in staff_help.text
    refusals = {command: say(command, user="s8")[0].text for command in OFFICER_COMMANDS}
    refusals["Trả lời"] = say(choice="oq:reply:1", user="s8")[0].text
    assert set(refusals.values()) == {texts.NOT_ADMIN}, refusals


def test_an_officer_answers_any_open_question_by_its_number(office: App):
    say = Talk(office)
    for user, question in (("s9", OUT_OF_SCOPE), ("s10", "chế độ nghỉ dưỡng của cán bộ lão thành")):
        say(f"/hoivanphong {question}", user=user, display_name=user)
        say("gửi", user=user, display_name=user)
    # The newest notice is the last list on Zalo: "1" there is question 2; "trả lời 1" is question 1.
    [prompt] = say("trả lời 1", user="cb-an", display_name="Nguyễn Văn An")
    assert "Câu hỏi số 1" in prompt.text and OUT_OF_SCOPE in prompt.text
    say("Đồng chí liên hệ Phòng Tổ chức cán bộ.", user="cb-an", display_name="Nguyễn Văn An")
    [done] = say("gửi", user="cb-an", display_name="Nguyễn Văn An")
    assert done.text.startswith(texts.OFFICE_ANSWER_SENT.format(qid=1, asker="s9"))
    [again] = say("trả lời 1", user="cb-binh", display_name="Phạm Bình")
    assert "đã được Nguyễn Văn An trả lời" in again.text
    [missing] = say("tl câu 7", user="cb-binh", display_name="Phạm Bình")
    assert missing.text == texts.OFFICE_NO_SUCH_QUESTION.format(qid=7)
    # Staff typing the same words ask a question, as before.
    [staff] = say("trả lời 1", user="s9")
    assert "Câu hỏi số 1" not in staff.text
    with office.repo.session() as s:
        from storage.models import QuestionLog, User

        officers = [u.id for u in s.exec(select(User).where(User.external_id.in_(["cb-an", "cb-binh"])))]
        assert list(s.exec(select(QuestionLog).where(QuestionLog.user_id.in_(officers)))) == []


def test_an_officer_removed_from_admin_ids_cannot_finish_a_form_begun_before(tmp_path: Path):
    """ADMIN_IDS changes (a restart) while an officer is in the middle of /duyet and of an
    answer to the Office: the next step is refused and nothing of it is recorded."""
    from storage import reports
    from tests.test_reports import submit_one

    app = make_app(tmp_path)
    say = Talk(app)
    code = submit_one(say, user="s11")
    say(f"/hoivanphong {OUT_OF_SCOPE}", user="s11")
    say("gửi", user="s11")
    replies = say("/duyet", user="cb-an", display_name="Nguyễn Văn An")
    assert code in replies[0].text
    say("1", user="cb-an", display_name="Nguyễn Văn An")  # Duyệt: now the award step
    say(choice="oq:reply:1", user="cb-binh", display_name="Phạm Bình")
    say("Đồng chí liên hệ Phòng Tổ chức cán bộ.", user="cb-binh", display_name="Phạm Bình")  # now the confirm step

    demoted = build_app(load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, admin_ids="zalo:cb-chi"))
    after = Talk(demoted)
    [refused] = after("1", user="cb-an", display_name="Nguyễn Văn An")
    assert refused.text == texts.NOT_ADMIN
    [refused] = after("gửi", user="cb-binh", display_name="Phạm Bình")
    assert refused.text == texts.NOT_ADMIN
    with demoted.repo.session() as s:
        [row] = reports.pending(s)
        assert (row.code, row.reviewed_by) == (code, None)
    [question] = questions(demoted)
    assert question.status == "open" and notices(demoted, "s11") == []
    # The form is over: a number now is not read as one of its options.
    [later] = after("1", user="cb-an", display_name="Nguyễn Văn An")
    assert later.text != texts.NOT_ADMIN and not later.text.startswith(texts.FLOW_STALE)
    with demoted.repo.session() as s:
        assert len(reports.pending(s)) == 1


def test_the_second_officer_is_told_who_decided_a_report_by_name(tmp_path: Path):
    """The console sends no names: the officer who decided is named from their profile, or
    their id, never "một cán bộ"."""
    from tests.test_reports import submit_one

    app = make_app(tmp_path)
    say = Talk(app)
    code = submit_one(say, user="s12")
    say("/duyet", user="cb-an")
    say("3", user="cb-an")  # Không duyệt
    say("Chưa đủ minh chứng về số ngày trực chốt.", user="cb-an")
    [late] = say(choice="r:ok:1", user="cb-binh")
    assert code in late.text and "zalo:cb-an" in late.text and texts.SOMEONE not in late.text
