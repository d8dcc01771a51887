"""Deadline reminders, in-process on a real SQLite file: passes at fixed moments
(what is due goes once, quiet hours defer, stale ones are skipped, "Đã nộp" stops
the rest, an edited date moves what is left), and the chat side played by staff
and an officer (/nhacnho, /lich, /hanmoi, /thongbao, /thongke), bad input included."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.app import App, build_app
from bot.delivery import Delivery, Limits
from bot.reminders import dispatch_now
from bot.settings import load_settings
from content.deadlines import in_quiet_hours, next_occurrence, parse_quiet, slots
from handlers import texts
from handlers.events import Capabilities
from storage import profiles
from storage import reminders as q
from storage.models import Deadline, OutboxMessage, utcnow
from tests.conftest import REAL_CONTENT, Talk
from tests.people import person as wrote

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICER = "cb-vp"


def local(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


@pytest.fixture
def rem(tmp_path: Path) -> App:
    return build_app(load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT,
                                   admin_ids=f"zalo:{OFFICER}"))


def add_deadline(app: App, title: str = "Nộp báo cáo sơ kết", due: str = "2030-12-15 17:00", audience: str = "all",
                 offsets: list[int] | None = None, send_time: str = "08:00", repeat: str | None = None) -> int:
    with app.repo.session() as s:
        row = q.save_deadline(s, Deadline(key=f"test:{title}", title=title, due_at=local(due), audience=audience,
                                          offsets=offsets or [7, 3, 1, 0], send_time=send_time, repeat=repeat))
        s.commit()
        return row.id  # type: ignore[return-value]


def person(app: App, ext: str, *, unit: str = "van-phong", leader: bool = False, on: bool = True) -> int:
    user = wrote(app.repo, "zalo", ext, f"Cán bộ {ext}")
    with app.repo.session() as s:
        profiles.save_profile(s, user.id, unit_id=unit, is_leader=leader, reminders=on)  # type: ignore[arg-type]
        s.commit()
    return user.id  # type: ignore[return-value]


def reminders_to(app: App, ext: str, status: tuple[str, ...] = ("pending", "sent")) -> list[OutboxMessage]:
    with app.repo.session() as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == ext,
                                                       OutboxMessage.dedup_key.startswith("rem:"),  # type: ignore[attr-defined]
                                                       OutboxMessage.status.in_(status))  # type: ignore[attr-defined]
                           .order_by(OutboxMessage.id)))


class Phone:
    """A messenger that shows what it is given (channel "zalo": numbered lists)."""

    name = "zalo"
    capabilities = Capabilities()

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []

    async def deliver(self, chat_id: str, reply, reply_to=None) -> None:  # noqa: ANN001
        self.shown.append((chat_id, reply.text))


async def deliver_all(app: App, now: datetime) -> Phone:
    phone = Phone()
    delivery = Delivery(app.outbox, {"zalo": phone}, limits={"zalo": Limits(1000.0, 1000.0, 100)})  # type: ignore[dict-item]
    while await delivery.run_once(now=now):
        pass
    return phone


def only_real_deadlines(app: App) -> None:
    """The shipped example deadlines would remind too: cancel them for a clean count."""
    dispatch_now(app, utcnow() - timedelta(days=3650))  # syncs content/deadlines.yaml, sends nothing
    with app.repo.session() as s:
        for d in q.active_deadlines(s):
            if d.key.startswith(q.CONTENT_KEY):
                q.cancel_deadline(s, d.id)  # type: ignore[arg-type]
        s.commit()


# --- the arithmetic ------------------------------------------------------------------------

def test_slots_quiet_hours_and_yearly_occurrences():
    due = local("2030-12-15 17:00")
    got = {s.offset: s.send_at.astimezone(TZ) for s in slots(due, [7, 3, 1, 0], "08:00", TZ)}
    assert got == {7: local("2030-12-08 08:00"), 3: local("2030-12-12 08:00"), 1: local("2030-12-14 08:00"),
                   0: local("2030-12-15 08:00")}
    # On the day itself, never after the deadline: a 07:00 deadline is reminded at 07:00.
    early = local("2030-12-15 07:00")
    assert [s.send_at.astimezone(TZ) for s in slots(early, [0], "08:00", TZ)] == [early]
    quiet = parse_quiet("21:00-07:00")
    assert in_quiet_hours(local("2030-12-08 22:30"), quiet, TZ) == local("2030-12-09 07:00")
    assert in_quiet_hours(local("2030-12-09 06:59"), quiet, TZ) == local("2030-12-09 07:00")
    assert in_quiet_hours(local("2030-12-09 07:00"), quiet, TZ) is None
    assert next_occurrence(local("2025-12-15 17:00"), "yearly", local("2030-12-16 00:00")) == local("2031-12-15 17:00")
    assert next_occurrence(local("2025-12-15 17:00"), None, local("2030-12-16 00:00")) == local("2025-12-15 17:00")
    with pytest.raises(ValueError):
        parse_quiet("21:00")


# --- passes -------------------------------------------------------------------------------

def test_what_is_due_goes_once_to_those_concerned(rem: App):
    only_real_deadlines(rem)
    add_deadline(rem)
    person(rem, "an")
    person(rem, "binh", leader=True)
    person(rem, "chi", on=False)  # reminders off
    early = dispatch_now(rem, local("2030-12-08 07:59"))
    assert early.queued == [] and early.skipped == 0
    first = dispatch_now(rem, local("2030-12-08 08:00"))
    assert len(first.queued) == 2 and not first.deferred and first.skipped == 0
    [row] = reminders_to(rem, "an")
    text = row.payload["reply"]["text"]
    assert "Nộp báo cáo sơ kết" in text and "17:00 Chủ Nhật, 15/12/2030" in text and "còn 7 ngày" in text
    assert row.payload["reply"]["choices"][0]["label"] == texts.REMINDER_DONE
    assert reminders_to(rem, "chi") == []
    again = dispatch_now(rem, local("2030-12-08 08:05"))  # a second pass, or a second instance
    assert again.queued == [] and again.skipped == 0
    later = dispatch_now(rem, local("2030-12-12 08:00"))
    assert len(later.queued) == 2
    assert "còn 3 ngày" in reminders_to(rem, "an")[-1].payload["reply"]["text"]


def test_quiet_hours_defer_to_the_morning(rem: App):
    only_real_deadlines(rem)
    add_deadline(rem, send_time="22:00", offsets=[3])
    person(rem, "an")
    night = dispatch_now(rem, local("2030-12-12 22:00"))
    assert night.queued == [] and len(night.deferred) == 1
    [row] = reminders_to(rem, "an")
    assert q.aware(row.not_before).astimezone(TZ) == local("2030-12-13 07:00")


def test_after_downtime_the_latest_reminder_goes_once_and_the_stale_ones_are_skipped(rem: App):
    only_real_deadlines(rem)
    add_deadline(rem)
    person(rem, "an")
    back = dispatch_now(rem, local("2030-12-14 09:00"))  # slots 7 and 3 passed while the bot was down
    assert len(back.queued) == 1 and back.skipped == 2
    [row] = reminders_to(rem, "an")
    assert "ngày mai" in row.payload["reply"]["text"]
    assert len(reminders_to(rem, "an", ("skipped",))) == 2
    again = dispatch_now(rem, local("2030-12-14 09:01"))
    assert again.queued == [] and again.skipped == 0  # skipped ones are counted once
    gone = dispatch_now(rem, local("2030-12-15 17:01"))  # past the deadline: nothing
    assert gone.queued == [] and gone.skipped == 0


async def test_done_stops_the_rest_and_for_leaders_the_unit(rem: App):
    only_real_deadlines(rem)
    add_deadline(rem, audience="unit_leaders")
    person(rem, "truong-phong", unit="van-phong", leader=True)
    person(rem, "pho-phong", unit="van-phong", leader=True)
    person(rem, "lanh-dao-khac", unit="phong-ks-dan-su", leader=True)
    person(rem, "nhan-vien", unit="van-phong")
    assert len(dispatch_now(rem, local("2030-12-08 08:00")).queued) == 3
    phone = await deliver_all(rem, local("2030-12-08 08:00"))
    assert sorted(chat for chat, _ in phone.shown) == ["lanh-dao-khac", "pho-phong", "truong-phong"]
    say = Talk(rem)
    [done] = say("1", user="truong-phong")  # on Zalo, "1" picks "Đã nộp" from the reminder
    assert done.text == texts.REMINDER_ACKED_UNIT.format(title="Nộp báo cáo sơ kết")
    [again] = say("đã nộp", user="truong-phong")
    assert again.text == texts.REMINDER_ACKED_BEFORE.format(title="Nộp báo cáo sơ kết")
    later = dispatch_now(rem, local("2030-12-12 08:00"))
    assert [r.chat_id for r in rem.outbox.rows() if r.id in later.queued] == ["lanh-dao-khac"]


def test_editing_or_cancelling_a_deadline_affects_only_what_was_not_sent(rem: App):
    only_real_deadlines(rem)
    deadline_id = add_deadline(rem, send_time="22:00", offsets=[7, 3])
    person(rem, "an")
    dispatch_now(rem, local("2030-12-08 22:00"))  # deferred to the morning: not sent yet
    with rem.repo.session() as s:
        row = q.deadline(s, deadline_id)
        row.due_at = local("2030-12-20 17:00")  # type: ignore[union-attr]
        q.save_deadline(s, row)  # type: ignore[arg-type]
        s.commit()
    assert [r.status for r in rem.outbox.rows()] == ["cancelled"]
    moved = dispatch_now(rem, local("2030-12-13 22:00"))  # 7 days before the new date
    assert len(moved.deferred) == 1
    with rem.repo.session() as s:
        q.cancel_deadline(s, deadline_id)
        s.commit()
    assert sorted(r.status for r in rem.outbox.rows()) == ["cancelled", "cancelled"]
    assert dispatch_now(rem, local("2030-12-17 22:00")).deferred == []


def test_yearly_deadlines_are_reminded_every_year(rem: App):
    only_real_deadlines(rem)
    add_deadline(rem, due="2029-12-15 17:00", repeat="yearly", offsets=[1])
    person(rem, "an")
    assert len(dispatch_now(rem, local("2029-12-14 08:00")).queued) == 1
    assert len(dispatch_now(rem, local("2030-12-14 08:00")).queued) == 1  # next year: a new reminder


# --- chat ------------------------------------------------------------------------------------

def test_turning_reminders_on_asks_the_unit_once(rem: App):
    say = Talk(rem)
    [note, unit] = say("/nhacnho", user="moi")
    assert note.text == texts.PRIVACY_NOTE and unit.text.startswith(texts.PROFILE_UNIT)
    assert rem.knowledge.kb.units_note in unit.text and len(unit.choices) == 10  # a page of the list
    assert unit.choices[-2].label.startswith("Xem thêm")
    [leader] = say("2", user="moi")  # the second unit of the list
    assert leader.text.startswith(texts.PROFILE_LEADER)
    [on] = say("không", user="moi")
    assert on.text.startswith("Đã bật nhắc hạn")
    with rem.repo.session() as s:
        user = wrote(rem.repo, "zalo", "moi")
        p = profiles.profile(s, user.id)  # type: ignore[arg-type]
        assert p is not None and p.reminders and not p.is_leader and p.unit_id == rem.knowledge.kb.units[1].id
    [off] = say("/nhacnho", user="moi")
    assert off.text == texts.REMINDERS_OFF
    [on_again] = say("/nhacnho", user="moi")  # the unit is known now: no questions
    assert on_again.text.startswith("Đã bật nhắc hạn")


def test_the_calendar_lists_what_concerns_the_person_with_a_file_where_the_messenger_takes_one(rem: App):
    only_real_deadlines(rem)
    add_deadline(rem, title="Nộp hồ sơ khen thưởng", due="2030-12-15 17:00")
    add_deadline(rem, title="Báo cáo của lãnh đạo", audience="unit_leaders")
    person(rem, "an")
    say = Talk(rem)
    [shown] = say("/lich", user="an")
    assert "Nộp hồ sơ khen thưởng" in shown.text and "Báo cáo của lãnh đạo" not in shown.text
    assert texts.DEADLINES_NO_FILE in shown.text  # Zalo cannot take a file: the date is in the text
    telegram = Talk(rem, channel="telegram")
    telegram.pipeline.capabilities = {"telegram": Capabilities(buttons=True, documents=True, text_limit=4096)}
    [tg] = telegram("/lich", user="55501")
    ics = next(c for c in tg.choices if c.id.startswith("dl:ics:"))
    [file_reply] = telegram(choice=ics.id, user="55501")
    [doc] = file_reply.documents
    assert doc.file_name.endswith(".ics") and b"BEGIN:VCALENDAR" in doc.data and b"DTSTART" in doc.data
    from icalendar import Calendar

    event = next(iter(Calendar.from_ical(doc.data).walk("VEVENT")))
    assert event.decoded("dtstart") == local("2030-12-15 17:00")


def test_an_officer_creates_a_deadline_in_chat_and_bad_input_is_explained(rem: App):
    only_real_deadlines(rem)
    person(rem, "an")
    say = Talk(rem)
    [refused] = say("/hanmoi", user="an")
    assert refused.text == texts.NOT_ADMIN
    [title] = say("/hanmoi", user=OFFICER)
    assert title.text.startswith(texts.NEW_ASK_TITLE)
    say("Nộp danh sách đề nghị khen thưởng năm", user=OFFICER)
    [past] = say("01/01/2020 17:00", user=OFFICER)
    assert "đã qua" in past.text
    [garbled] = say("thứ sáu tuần sau", user=OFFICER)
    assert "Chưa đọc được ngày giờ" in garbled.text
    [audience] = say("20/12/2030 16:30", user=OFFICER)
    assert audience.text.startswith(texts.NEW_ASK_AUDIENCE)
    [unit] = say("3", user=OFFICER)  # Một đơn vị
    assert unit.text.startswith(texts.NEW_ASK_UNIT)
    [offsets] = say("1", user=OFFICER)  # the first unit
    [bad] = say("bảy, ba", user=OFFICER)
    assert "không phải danh sách số ngày" in bad.text
    [note] = say("5, 1", user=OFFICER)
    assert note.text.startswith(texts.NEW_ASK_NOTE)
    [confirm] = say("bỏ qua", user=OFFICER)
    assert "16:30" in confirm.text and "trước 5, 1 ngày" in confirm.text and "Hiện có" in confirm.text
    [created] = say("1", user=OFFICER)
    assert created.text.startswith("Đã tạo hạn số")
    with rem.repo.session() as s:
        [row] = [d for d in q.active_deadlines(s) if d.created_by == f"zalo:{OFFICER}"]
    assert row.offsets == [5, 1] and row.audience == f"unit:{rem.knowledge.kb.units[0].id}"
    assert q.aware(row.due_at) == local("2030-12-20 16:30")


def test_an_officer_sends_an_announcement_and_sees_what_was_sent(rem: App):
    only_real_deadlines(rem)
    for name in ("an", "binh", "chi"):
        person(rem, name)
    person(rem, "dung", on=False)
    say = Talk(rem)
    [refused] = say("/thongbao", user="an")
    assert refused.text == texts.NOT_ADMIN
    say("/thongbao", user=OFFICER)
    say("1", user=OFFICER)  # everyone with reminders on
    [confirm] = say("Chiều nay 14:00 họp Hội đồng Thi đua, khen thưởng tại hội trường tầng 2.", user=OFFICER)
    assert confirm.text.startswith("Gửi thông báo sau tới 3 người")
    [queued] = say("Gửi", user=OFFICER)
    assert queued.text.startswith("Đã xếp 3 tin")
    notes = [r for r in rem.outbox.rows() if r.dedup_key.startswith("ann:")]
    assert sorted(r.chat_id for r in notes) == ["an", "binh", "chi"]
    assert "hội trường tầng 2" in notes[0].payload["reply"]["text"]
    [stats] = say("/thongke", user=OFFICER)
    assert "Thông báo số 1 (3 người): đã gửi 0, chờ gửi 3, lỗi 0" in stats.text


def test_an_officer_moves_and_cancels_a_deadline_from_the_calendar(rem: App):
    only_real_deadlines(rem)
    deadline_id = add_deadline(rem, title="Nộp báo cáo quý")
    say = Talk(rem)
    [shown] = say("/lich", user=OFFICER)
    labels = [c.label for c in shown.choices]
    assert texts.NEW_DEADLINE in labels and texts.CANCEL_DEADLINE.format(title="Nộp báo cáo quý") in labels
    [ask] = say(choice=f"dl:edit:{deadline_id}", user=OFFICER)
    assert ask.text.startswith(texts.EDIT_ASK_DUE.format(title="Nộp báo cáo quý", when="17:00 Chủ Nhật, 15/12/2030"))
    [confirm] = say("20/12/2030 10:00", user=OFFICER)
    assert "10:00 Thứ Sáu, 20/12/2030" in confirm.text
    [moved] = say("1", user=OFFICER)
    assert moved.text.startswith("Đã đổi hạn")
    say(choice=f"dl:cancel:{deadline_id}", user=OFFICER)
    [cancelled] = say("1", user=OFFICER)
    assert cancelled.text.startswith("Đã hủy hạn «Nộp báo cáo quý»")
    [stale] = say(choice=f"dl:cancel:{deadline_id}", user=OFFICER)
    assert stale.text == texts.REMINDER_STALE
    [refused] = say(choice=f"dl:cancel:{deadline_id}", user="an")
    assert refused.text == texts.NOT_ADMIN


def test_the_command_line_adds_lists_cancels_and_dispatches(rem: App, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture):
    from bot import cli

    only_real_deadlines(rem)
    person(rem, "an")
    monkeypatch.setattr(cli, "load_settings", lambda: rem.settings)
    assert cli.main(["deadlines", "add", "--title", "Nộp báo cáo năm", "--due", "2030-12-15 17:00",
                     "--offsets", "7,1"]) == 0
    new_id = int(capsys.readouterr().out.strip())
    assert cli.main(["deadlines", "add", "--title", "x", "--due", "15/12/2030", "--offsets", "bảy",
                     "--audience", "unit:khong-co"]) == 2
    err = capsys.readouterr().err
    assert "--due" in err and "--offsets" in err and "unknown unit" in err
    assert cli.main(["deadlines", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in listed] == [new_id] and listed[0]["offsets"] == [7, 1]
    # No messenger token here: the pass queues the reminder and says it waits.
    assert cli.main(["reminders", "dispatch", "--now", "2030-12-08T08:00+07:00"]) == 0
    out = capsys.readouterr()
    assert "sent 0, deferred 0, skipped 0, failed 0" in out.out and "wait in the outbox" in out.err
    assert cli.main(["reminders", "status"]) == 0
    assert "waiting 1" in capsys.readouterr().out
    assert cli.main(["deadlines", "cancel", str(new_id)]) == 0
    assert cli.main(["deadlines", "cancel", str(new_id)]) == 1


# --- example deadlines ----------------------------------------------------------------------

EXAMPLES = """
deadlines:
  - id: vi-du-lanh-dao
    title: Báo cáo tổng kết (mẫu)
    due: "2030-12-15 17:00"
    audience: unit_leaders
    offsets: [7, 3, 1, 0]
    example: true
  - id: vi-du-moi-nguoi
    title: Gửi gương người tốt (mẫu)
    due: "2030-12-20 17:00"
    audience: all
    offsets: [3, 0]
    example: true
"""


@pytest.fixture
def with_examples(tmp_path: Path) -> App:
    """The shipped content, its example deadlines moved to 2030 so the test does not age."""
    import shutil

    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content)
    (content / "deadlines.yaml").write_text(EXAMPLES, encoding="utf-8")
    return build_app(load_settings(data_dir=tmp_path / "data", content_dir=content, admin_ids=f"zalo:{OFFICER}"))


def test_the_shipped_deadlines_are_marked_as_examples():
    from content.loader import load

    shipped = load(REAL_CONTENT).deadlines
    assert shipped and all(d.example for d in shipped)


def test_example_deadlines_are_never_sent_and_say_example_wherever_they_appear(
        with_examples: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    app = with_examples
    person(app, "lead", leader=True)
    person(app, OFFICER)
    # Every slot of both deadlines, up to the due day: nothing goes, nothing is even skipped.
    for moment in ("2030-12-08 08:00", "2030-12-12 08:00", "2030-12-15 08:00", "2030-12-17 08:00",
                   "2030-12-20 08:00"):
        result = dispatch_now(app, local(moment))
        assert (result.queued, result.deferred, result.skipped) == ([], [], 0), moment
    assert reminders_to(app, "lead", ("pending", "sent", "skipped", "failed")) == []
    assert reminders_to(app, OFFICER, ("pending", "sent", "skipped", "failed")) == []

    say = Talk(app)
    [shown] = say("/lich", user="lead")
    assert "Báo cáo tổng kết (mẫu) (ví dụ)" in shown.text and "Gửi gương người tốt (mẫu) (ví dụ)" in shown.text
    # Asked in words ("hạn chót ... là khi nào") the calendar answers, with the same mark.
    [asked] = say("hạn chót nộp báo cáo là khi nào", user="lead")
    assert "Báo cáo tổng kết (mẫu) (ví dụ)" in asked.text
    [stats] = say("/thongke", user=OFFICER)
    assert stats.text.count("(ví dụ)") == 2

    telegram = Talk(app, channel="telegram")
    telegram.pipeline.capabilities = {"telegram": Capabilities(buttons=True, documents=True, text_limit=4096)}
    [tg] = telegram("/lich", user="55501")
    ics = next(c for c in tg.choices if c.id.startswith("dl:ics:"))
    [file_reply] = telegram(choice=ics.id, user="55501")
    from icalendar import Calendar

    event = next(iter(Calendar.from_ical(file_reply.documents[0].data).walk("VEVENT")))
    assert str(event["summary"]).endswith("(ví dụ)")

    from bot import cli

    monkeypatch.setattr(cli, "load_settings", lambda: app.settings)
    assert cli.main(["reminders", "status"]) == 0
    status = capsys.readouterr().out
    assert status.count("(ví dụ) - never sent") == 2
    assert cli.main(["deadlines", "list"]) == 0
    assert capsys.readouterr().out.count("(ví dụ)") == 2


def test_removing_the_example_mark_makes_a_deadline_real(with_examples: App):
    app = with_examples
    person(app, "lead", leader=True)
    assert dispatch_now(app, local("2030-12-08 08:00")).queued == []
    path = app.settings.content_dir / "deadlines.yaml"
    path.write_text(EXAMPLES.replace("    example: true\n", "", 1), encoding="utf-8")
    app.knowledge.reload()
    result = dispatch_now(app, local("2030-12-08 08:05"))
    assert len(result.queued) == 1
    [sent] = reminders_to(app, "lead")
    assert "Báo cáo tổng kết (mẫu)" in sent.payload["reply"]["text"] and "ví dụ" not in sent.payload["reply"]["text"]
