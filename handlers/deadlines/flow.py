"""Deadlines in chat: /lich (upcoming deadlines, .ics, reminders on or off),
/nhacnho, "Đã nộp", and for officers /hanmoi (a new deadline), cancelling or
moving one, and /thongke (what was sent: reminders, and the announcements of
handlers/announcements/)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from content.deadlines import AUDIENCE_ALL, AUDIENCE_LEADERS, UNIT_PREFIX
from content.service import Knowledge
from handlers import choices as ch
from handlers import texts
from handlers.announcements import service as announcements
from handlers.context import TurnContext
from handlers.deadlines import choices as dc
from handlers.deadlines import service
from handlers.deadlines.reminders import ack_choice, content_fields, left_text, occurrence, when_text
from handlers.events import Choice, Document, Reply
from handlers.flows import (
    FINISH,
    NO,
    SEND,
    YES,
    Flow,
    FlowData,
    FlowEngine,
    FlowValues,
    Option,
    Step,
    text_between,
)
from handlers.officers import actor
from handlers.profile.flow import unit_prompt
from storage import reminders as q
from storage.models import Deadline, User, utcnow

PROFILE = "reminder_profile"
NEW = "deadline_new"
CANCEL_FLOW = "deadline_cancel"
EDIT = "deadline_edit"
DEFAULT_OFFSETS = service.DEFAULT_OFFSETS
MAX_LISTED = 10
DONE_WORDS = {"da nop", "da nop roi", "nop roi", "da gui", "xong roi"}



@dataclass
class ProfileValues(FlowValues):
    """What turning reminders on asks when the profile lacks it."""

    unit: str | None = None
    leader: str | None = None  # yes | no


@dataclass
class NewValues(FlowValues):
    title: str = ""
    due: str = ""  # ISO date and time, in the bot's time zone
    audience: str = ""  # all | unit_leaders | unit
    unit: str | None = None  # the unit's id, when the audience is one unit
    offsets: list[int] = field(default_factory=list)  # days before the deadline
    note: str = ""
    confirm: str | None = None


@dataclass
class ChangeValues(FlowValues):
    """Cancelling a deadline, or moving it (`due`)."""

    id: int = 0
    title: str = ""
    when: str = ""  # as it is now, for the question
    due: str = ""
    confirm: str | None = None


class Deadlines:
    @staticmethod
    def said_done(folded: str) -> bool:
        """ "đã nộp" typed after a reminder."""
        return folded.strip(" .!") in DONE_WORDS

    def __init__(self, knowledge: Knowledge, is_officer: Callable[[str, str], bool], tz: ZoneInfo,
                 quiet: tuple[time, time] = (time(21), time(7))):
        self.knowledge = knowledge
        self.is_officer = is_officer
        self.tz = tz
        self.quiet = quiet
        self.engine: FlowEngine | None = None

    # --- helpers -------------------------------------------------------------------
    def _units(self) -> list[Option]:
        return [Option(u.id, u.name) for u in self.knowledge.kb.units]

    def _audience_text(self, audience: str) -> str:
        if audience == AUDIENCE_ALL:
            return texts.AUDIENCE_ALL
        if audience == AUDIENCE_LEADERS:
            return texts.AUDIENCE_LEADERS
        return self.knowledge.kb.unit_name(audience[len(UNIT_PREFIX):])

    def _user(self, ctx: TurnContext) -> User:
        return ctx.store.user_row(ctx.user_id)  # type: ignore[return-value]

    def _officer(self, ctx: TurnContext) -> bool:
        return self.is_officer(ctx.event.channel, ctx.event.user_id)

    def _parse_due(self, text: str, now: datetime) -> datetime:
        """'15/12/2026 17:00', '15/12/2026' (17:00), '15/12 17h' (this year), '2026-12-15 17:00'
        (content/dates.py reads them)."""
        return service.parse_due_text(text, now, self.tz)

    # --- flows -------------------------------------------------------------------------
    def flows(self) -> list[Flow]:
        yes_no = [Option("yes", texts.YES, YES), Option("no", texts.NO, NO)]
        profile = Flow(PROFILE, texts.PROFILE_TITLE, finish=self._save_profile, values=ProfileValues, steps=[
            Step("unit", prompt=lambda d: unit_prompt(self.knowledge, texts.PROFILE_UNIT), options=lambda d: self._units()),
            Step("leader", prompt=lambda d: texts.PROFILE_LEADER, options=lambda d: yes_no),
        ])
        new = Flow(NEW, texts.NEW_TITLE, finish=self._create, officers_only=True, values=NewValues, steps=[
            Step("title", prompt=lambda d: texts.NEW_ASK_TITLE, parse=text_between(5, 300, texts.NEW_WHAT_TITLE)),
            Step("due", prompt=lambda d: texts.NEW_ASK_DUE,
                 parse=lambda d, t: self._parse_due(t, utcnow()).isoformat()),
            Step("audience", prompt=lambda d: texts.NEW_ASK_AUDIENCE,
                 options=lambda d: [Option(AUDIENCE_ALL, texts.AUDIENCE_ALL),
                                    Option(AUDIENCE_LEADERS, texts.AUDIENCE_LEADERS),
                                    Option("unit", texts.AUDIENCE_UNIT)],
                 after=lambda d, v: "unit" if v == "unit" else "offsets"),
            Step("unit", prompt=lambda d: texts.NEW_ASK_UNIT, options=lambda d: self._units()),
            Step("offsets", prompt=lambda d: texts.NEW_ASK_OFFSETS, parse=self._parse_offsets),
            Step("note", prompt=lambda d: texts.NEW_ASK_NOTE, parse=lambda d, t: self._note(t)),
            Step("confirm", prompt=self._new_summary,
                 options=lambda d: [Option("create", texts.CREATE, ("tao", *SEND))],
                 after=lambda d, v: FINISH),
        ])
        cancel = Flow(CANCEL_FLOW, texts.CANCEL_TITLE, finish=self._cancel, officers_only=True, values=ChangeValues,
                      steps=[
            Step("confirm", prompt=lambda d: texts.CANCEL_CONFIRM.format(title=d.values.title, when=d.values.when),
                 options=lambda d: [Option("yes", texts.CANCEL_YES, YES)], after=lambda d, v: FINISH),
        ])
        edit = Flow(EDIT, texts.EDIT_TITLE, finish=self._move, officers_only=True, values=ChangeValues, steps=[
            Step("due", prompt=lambda d: texts.EDIT_ASK_DUE.format(title=d.values.title, when=d.values.when),
                 parse=lambda d, t: self._parse_due(t, utcnow()).isoformat()),
            Step("confirm", prompt=lambda d: texts.EDIT_CONFIRM.format(
                title=d.values.title, when=when_text(datetime.fromisoformat(d.values.due), self.tz)),
                 options=lambda d: [Option("yes", texts.EDIT_YES, YES)], after=lambda d, v: FINISH),
        ])
        return [profile, new, cancel, edit]

    @staticmethod
    def _parse_offsets(_d: FlowData, text: str) -> list[int]:
        return service.parse_offsets(text)

    @staticmethod
    def _note(text: str) -> str:
        return service.parse_note(text)

    def _new_summary(self, d: FlowData) -> str:
        v = d.values
        audience = v.audience if v.audience != "unit" else f"{UNIT_PREFIX}{v.unit}"
        note = f"Ghi chú: {v.note}\n" if v.note else ""
        return texts.NEW_CONFIRM.format(title=v.title,
                                        when=when_text(datetime.fromisoformat(v.due), self.tz),
                                        audience=self._audience_text(audience),
                                        offsets=", ".join(map(str, v.offsets)), note=note,
                                        count=self.count_for(d.ctx, audience))

    # --- entry points --------------------------------------------------------------------
    def show(self, ctx: TurnContext) -> list[Reply]:
        """/lich: the deadlines that concern this person, with reminders on or off."""
        now = utcnow()
        ctx.store.deadlines.sync_content(content_fields(self.knowledge.kb.deadlines, self.tz))  # after a /reload too
        profile = ctx.store.profiles.get(ctx.user_id)
        officer = self._officer(ctx)
        rows = [d for d in ctx.store.deadlines.active() if officer or q.concerns(d, profile)]
        upcoming = [(d, occurrence(d, now)) for d in rows]
        upcoming = sorted([(d, due) for d, due in upcoming if due > now], key=lambda x: x[1])[:MAX_LISTED]
        lines = [texts.DEADLINES_TITLE if upcoming else texts.DEADLINES_NONE]
        choices: list[Choice] = []
        for n, (d, due) in enumerate(upcoming, 1):
            lines.append(texts.DEADLINES_LINE.format(n=n, title=shown_title(d), when=when_text(due, self.tz),
                                                     left=left_text(due, now, self.tz)))
            if officer:
                names = ctx.store.deadlines.ack_names(d.id, due)  # type: ignore[arg-type]
                if names:
                    lines.append(texts.DEADLINES_ACKS.format(names=", ".join(names[:20])))
            if ctx.caps.documents:
                choices.append(Choice(dc.DEADLINE_ICS.encode(d.id), texts.ICS_FOR.format(title=_short(shown_title(d)))))
        if upcoming and not ctx.caps.documents:
            lines.append(texts.DEADLINES_NO_FILE)
        on = bool(profile and profile.reminders)
        lines.append(texts.DEADLINES_REMINDERS_ON if on else texts.DEADLINES_REMINDERS_OFF)
        choices.append(Choice((dc.REMINDERS_OFF if on else dc.REMINDERS_ON).encode(), texts.TURN_OFF if on else texts.TURN_ON))
        if officer:
            choices.append(Choice(dc.NEW_DEADLINE.encode(), texts.NEW_DEADLINE))
            for d, _due in upcoming:
                choices.append(Choice(dc.DEADLINE_EDIT.encode(d.id), texts.EDIT_DEADLINE.format(title=_short(d.title))))
                choices.append(Choice(dc.DEADLINE_CANCEL.encode(d.id), texts.CANCEL_DEADLINE.format(title=_short(d.title))))
        choices.append(ch.menu())
        return [Reply("\n".join(lines), choices)]

    def toggle(self, ctx: TurnContext, on: bool | None = None) -> list[Reply]:
        """/nhacnho (switches), or the "Bật/Tắt nhắc hạn" choice. Turning on first asks what
        the profile lacks (the unit, whether they lead it), however the profile began."""
        profile = ctx.store.profiles.get(ctx.user_id)
        on = not (profile and profile.reminders) if on is None else on
        missing = [] if not on else [name for name, known in (
            ("unit", profile is not None and profile.unit_id),
            ("leader", profile is not None and profile.is_leader is not None)) if not known]
        if missing:
            if missing[0] == "unit" and not self.knowledge.kb.units:
                return [Reply(texts.NO_UNITS)]
            assert self.engine is not None
            first = self.engine.start(ctx, PROFILE, at=missing[0], history=False)
            return [Reply(texts.PRIVACY_NOTE), *first]
        ctx.store.profiles.save(ctx.user_id, reminders=on)
        quiet = f"{self.quiet[0]:%H:%M} đến {self.quiet[1]:%H:%M}"
        return [Reply(texts.REMINDERS_ON.format(quiet=quiet) if on else texts.REMINDERS_OFF,
                      [Choice(dc.DEADLINES.encode(), texts.MENU_DEADLINES), ch.menu()])]

    def on_choice(self, ctx: TurnContext, choice: str) -> list[Reply]:
        """Any deadline choice (dc.DEADLINE_ANY); one that is not well-formed is stale (an officer's is checked first)."""
        if dc.REMINDERS_ON.matches(choice):
            return self.toggle(ctx, True)
        if dc.REMINDERS_OFF.matches(choice):
            return self.toggle(ctx, False)
        if dc.DEADLINE_ICS.matches(choice):
            return self._ics(ctx, dc.DEADLINE_ICS.one(choice))  # type: ignore[arg-type]
        if not self._officer(ctx):
            return [Reply(texts.NOT_ADMIN)]
        assert self.engine is not None
        if dc.NEW_DEADLINE.matches(choice):
            return self.engine.start(ctx, NEW)
        kind = ch.kind_of(choice, dc.DEADLINE_CANCEL, dc.DEADLINE_EDIT)
        deadline_id = kind.one(choice) if kind else None
        d = ctx.store.deadlines.get(deadline_id) if isinstance(deadline_id, int) else None
        if d is None or d.status != "active":
            return [Reply(texts.REMINDER_STALE)]
        when = when_text(occurrence(d, utcnow()), self.tz)
        flow = CANCEL_FLOW if kind is dc.DEADLINE_CANCEL else EDIT
        return self.engine.start(ctx, flow, ChangeValues(id=d.id, title=d.title, when=when))  # type: ignore[arg-type]

    def start_new(self, ctx: TurnContext) -> list[Reply]:
        if not self._officer(ctx):
            return [Reply(texts.NOT_ADMIN)]
        assert self.engine is not None
        return self.engine.start(ctx, NEW)

    def ack(self, ctx: TurnContext, choice: str | None) -> list[Reply]:
        """'Đã nộp': the choice under a reminder (a button, or its number), or the words
        typed: the one deadline the person was reminded of and has not answered, or, with
        several, a question which one (a numbered list of them)."""
        now = utcnow()
        if choice:
            deadline_id, stamp = dc.ACK.decode(choice) or (None, None)
            d = ctx.store.deadlines.get(deadline_id) if isinstance(deadline_id, int) else None
            due = datetime.fromtimestamp(stamp, tz=now.tzinfo) if isinstance(stamp, int) else None
        else:
            reminded = ctx.store.deadlines.reminded(ctx.event.channel, ctx.event.chat_id)
            if not reminded:
                return [Reply(texts.REMINDER_NOTHING_TO_ACK)]
            waiting = self._unanswered(ctx, reminded, now)
            if len(waiting) > 1:
                return [Reply(texts.REMINDER_WHICH, [
                    Choice(ack_choice(d, due), texts.REMINDER_WHICH_ITEM.format(
                        title=_short(d.title, 60), when=f"{due.astimezone(self.tz):%d/%m}")) for d, due in waiting])]
            d, due = waiting[0] if waiting else (ctx.store.deadlines.get(reminded[0][0]), reminded[0][1])
            if d is not None and not waiting and due <= now:
                return [Reply(texts.REMINDER_STALE)]
        if d is None or d.status != "active":
            return [Reply(texts.REMINDER_STALE)]
        due = due or occurrence(d, now)
        profile = ctx.store.profiles.get(ctx.user_id)
        done = ctx.store.deadlines.ack(d, due, self._user(ctx), profile)
        if done == q.NOT_CONCERNED:
            refusal = texts.REMINDER_NOT_LEADER if d.audience == AUDIENCE_LEADERS else texts.REMINDER_NOT_YOURS
            return [Reply(refusal.format(title=d.title), [Choice(dc.DEADLINES.encode(), texts.MENU_DEADLINES)])]
        if done == q.ACKED_BEFORE:
            return [Reply(texts.REMINDER_ACKED_BEFORE.format(title=d.title))]
        unit_wide = d.audience == AUDIENCE_LEADERS and profile is not None and profile.unit_id
        return [Reply((texts.REMINDER_ACKED_UNIT if unit_wide else texts.REMINDER_ACKED).format(title=d.title),
                      [Choice(dc.DEADLINES.encode(), texts.MENU_DEADLINES)])]

    @staticmethod
    def _unanswered(ctx: TurnContext, reminded: list[tuple[int, datetime]], now: datetime
                    ) -> list[tuple[Deadline, datetime]]:
        """The deadlines of these reminders still ahead and not answered 'Đã nộp' by the person,
        the nearest first."""
        out = []
        for deadline_id, due in reminded:
            d = ctx.store.deadlines.get(deadline_id)
            if d is not None and d.status == "active" and due > now and \
                    ctx.user_id not in ctx.store.deadlines.acked(deadline_id, due)[0]:
                out.append((d, due))
        return sorted(out, key=lambda x: x[1])

    def stats(self, ctx: TurnContext) -> list[Reply]:
        if not self._officer(ctx):
            return [Reply(texts.NOT_ADMIN)]
        now = utcnow()
        lines = [texts.STATS_TITLE]
        for d in ctx.store.deadlines.active():
            due = occurrence(d, now)
            c = ctx.store.deadlines.outbox_counts(q.reminder_prefix(d.id, due))
            lines.append(texts.STATS_DEADLINE.format(
                title=shown_title(d), when=when_text(due, self.tz), sent=c.get("sent", 0),
                pending=c.get("pending", 0) + c.get("sending", 0), failed=c.get("failed", 0) + c.get("blocked", 0),
                skipped=c.get("skipped", 0), acks=len(ctx.store.deadlines.ack_names(d.id, due))))  # type: ignore[arg-type]
        for a in announcements.latest(ctx.store):
            lines.append(texts.STATS_ANNOUNCEMENT.format(id=a.announcement.id, count=a.announcement.recipients,
                                                         sent=a.sent, pending=a.pending, failed=a.failed))
        if len(lines) == 1:
            lines.append(texts.STATS_NONE)
        return [Reply("\n".join(lines), [Choice(dc.DEADLINES.encode(), texts.MENU_DEADLINES)])]

    # --- finishing flows ------------------------------------------------------------------
    def _save_profile(self, ctx: TurnContext, data: FlowData) -> list[Reply]:
        """What was asked, saved; a name the person gave (in a report) is kept."""
        fields: dict[str, object] = {"reminders": True}
        if data.values.unit is not None:
            fields["unit_id"] = data.values.unit
        if data.values.leader is not None:
            fields["is_leader"] = data.values.leader == "yes"
        profile = ctx.store.profiles.get(ctx.user_id)
        if profile is None or not profile.full_name:
            fields["full_name"] = ctx.event.display_name
        ctx.store.profiles.save(ctx.user_id, **fields)
        return self.toggle(ctx, True)

    def _create(self, ctx: TurnContext, data: FlowData) -> list[Reply]:
        v = data.values
        audience = v.audience if v.audience != "unit" else f"{UNIT_PREFIX}{v.unit}"
        out = service.add(ctx.store, actor(ctx), title=v.title, due=datetime.fromisoformat(v.due), audience=audience,
                          offsets=list(v.offsets), note=v.note, now=utcnow(), kb=self.knowledge.kb, tz=self.tz)
        if not out.done:
            return [Reply(out.text)]
        return [Reply(out.text, [Choice(dc.DEADLINES.encode(), texts.MENU_DEADLINES)])]

    def _cancel(self, ctx: TurnContext, data: FlowData) -> list[Reply]:
        out = service.cancel(ctx.store, actor(ctx), int(data.values.id))
        if not out.done:
            return [Reply(out.text)]
        return [Reply(out.text, [Choice(dc.DEADLINES.encode(), texts.MENU_DEADLINES)])]

    def _move(self, ctx: TurnContext, data: FlowData) -> list[Reply]:
        out = service.move(ctx.store, actor(ctx), int(data.values.id), datetime.fromisoformat(data.values.due),
                           now=utcnow(), tz=self.tz)
        if not out.done:
            return [Reply(out.text)]
        return [Reply(out.text, [Choice(dc.DEADLINES.encode(), texts.MENU_DEADLINES)])]

    def count_for(self, ctx: TurnContext, audience: str) -> int:
        return service.reach(ctx.store, audience)

    def _ics(self, ctx: TurnContext, deadline_id: int | None) -> list[Reply]:
        d = ctx.store.deadlines.get(deadline_id) if deadline_id is not None else None
        if d is None or d.status != "active":
            return [Reply(texts.REMINDER_STALE)]
        due = occurrence(d, utcnow())
        if not ctx.caps.documents:  # chosen on purpose: Zalo cannot send files
            return [Reply(f"{shown_title(d)}\nHạn: {when_text(due, self.tz)}\n{texts.DEADLINES_NO_FILE}")]
        data = ics_bytes(d, due)
        return [Reply(texts.ICS_CAPTION.format(title=shown_title(d)),
                      documents=[Document(f"han-{d.id}.ics", data, "text/calendar")])]


def ics_bytes(d: Deadline, due: datetime) -> bytes:
    """The deadline as an iCalendar event, with an alarm a day before."""
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Tro ly Thi dua - Khen thuong//VKSND//VI")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"deadline-{d.id}-{int(due.timestamp())}@thidua-bot")
    event.add("summary", shown_title(d))
    event.add("dtstart", due)
    event.add("dtend", due + timedelta(minutes=30))
    event.add("dtstamp", utcnow())
    if d.note:
        event.add("description", d.note)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", shown_title(d))
    alarm.add("trigger", timedelta(days=-1))
    event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical()


def shown_title(d: Deadline) -> str:
    """A deadline's title as people see it: an example says so wherever it appears."""
    return d.title + (texts.EXAMPLE_MARK if q.is_example(d) else "")


def _short(title: str, limit: int = 40) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"
