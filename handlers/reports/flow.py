"""Good-example reports (gương người tốt, việc tốt): the guided submission, the
confirmation with its code, and the submitter's own list (/baocaocuatoi).

A draft lives in the flow's state, so it survives a restart and `kill -9`, and
resumes at the same step. Confirming stores the report, its files, its code and
the officers' notices in the turn's one transaction; the draft's id makes a
second Confirm (or a redelivered update) store nothing more."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from content.dates import DateInFuture, DateNotUnderstood, parse_date
from content.normalize import fold
from content.report_form import ReportForm, when_label
from content.service import Knowledge
from handlers import choices as ch
from handlers import texts
from handlers.context import FileUnavailable, TurnContext
from handlers.events import Attachment, Choice, Notice, Reply
from handlers.flows import (
    CONFIRM,
    FINISH,
    NO,
    YES,
    Flow,
    FlowData,
    FlowEngine,
    FlowValues,
    Invalid,
    Option,
    Step,
    choice_id,
    text_between,
)
from handlers.profile.flow import Profiles
from handlers.reports import choices as rc
from handlers.reports import texts as rt
from storage import reports
from storage.files import DOCX, XLSX
from storage.models import Report, aware
from storage.reports import ReportStore

REPORT = "report"
MAX_FILES = 5
MIN_STORY, MAX_STORY = 30, 4000
ALLOWED_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": "PDF", DOCX: "DOCX", XLSX: "XLSX"}
ALLOWED_EXTENSIONS = {".jpg", ".jpeg", ".png", ".pdf", ".docx", ".xlsx"}
SUBJECT_STEPS = ("subject", "name", "subject_unit")
# "Gửi báo cáo" tapped again this soon after sending is the same tap, not a pick from the next list.
REPEAT_WINDOW = timedelta(minutes=2)
SEND = choice_id("confirm", "send")


def split_when(value: str) -> tuple[date, str]:
    day, _, precision = value.partition("/")
    return date.fromisoformat(day), precision or "day"


def by(ctx: TurnContext) -> str:
    return f"{ctx.event.channel}:{ctx.event.user_id}"



@dataclass
class ReportValues(FlowValues):
    """A good-example report being written: the draft, what the profile still lacked
    (asked first), then a field per step."""

    draft: str = ""  # one draft makes one report, however often "Gửi" arrives
    invite: bool | None = None
    full_name: str | None = None
    unit: str | None = None
    subject_named: object = None  # yes | other | {"name": typed}
    subject: str | None = None  # self | colleague | collective ...
    name: str | None = None
    subject_unit: str | None = None
    criterion: str | None = None
    story: str | None = None
    when: str | None = None  # "YYYY-MM-DD", or with "/month" or "/year"
    files: str | None = None  # done | none
    attached: list[dict] = field(default_factory=list)  # kept files ({"id", "name", ...})
    confirm: str | None = None
    edit: str | None = None
    editing: bool = False  # changing one part from the summary: back to it after

class ReportCards:
    """How a report reads in chat (summary, card, status), shared by the submitter's
    and the officers' sides."""

    def __init__(self, knowledge: Knowledge, profiles: Profiles, tz: ZoneInfo):
        self.knowledge = knowledge
        self.profiles = profiles
        self.tz = tz

    @property
    def form(self) -> ReportForm:
        form = self.knowledge.kb.report_form
        assert form is not None, "content/report_form.yaml is missing"
        return form

    def criterion(self, cid: str | None) -> str:
        c = self.form.criterion(cid)
        return c.label if c else (cid or "")

    def award(self, aid: str | None) -> str:
        a = self.form.award(aid)
        return a.name if a else (aid or rt.AWARD_NONE)

    def local(self, at: datetime) -> datetime:
        return aware(at).astimezone(self.tz)

    def card(self, store: ReportStore, r: Report) -> str:
        count = store.file_count(r.id)  # type: ignore[arg-type]
        text = rt.CARD.format(code=r.code, created=self.local(r.created_at).strftime("%d/%m/%Y"),
                              status=rt.STATUS.get(r.status, r.status), submitter=r.submitter_name,
                              submitter_unit=self.profiles.unit_name(r.submitter_unit_id), subject=r.subject_name,
                              subject_unit=self.profiles.unit_name(r.subject_unit_id),
                              criterion=self.criterion(r.criterion),
                              when=when_label(r.happened_on, r.happened_precision),
                              files=count or rt.NO_FILES, story=texts.clip(r.story, 1500))
        more = store.additions(r.id)  # type: ignore[arg-type]
        if more:
            text += "\n" + rt.CARD_ADDITIONS.format(additions=" | ".join(texts.clip(m, 500) for m in more))
        return text


class Reports:
    def __init__(self, knowledge: Knowledge, profiles: Profiles, officers: Callable[[], Iterable[tuple[str, str]]],
                 tz: ZoneInfo, max_file_mb: int = 10, today: Callable[[], date] | None = None,
                 now: Callable[[], datetime] | None = None):
        self.knowledge = knowledge
        self.profiles = profiles
        self.officers = officers
        self.tz = tz
        self.max_file_mb = max_file_mb
        self.cards = ReportCards(knowledge, profiles, tz)
        self.today = today or (lambda: datetime.now(self.tz).date())
        self.now = now or (lambda: datetime.now(UTC))
        self.engine: FlowEngine | None = None

    @property
    def form(self) -> ReportForm:
        return self.cards.form

    # --- the flow ------------------------------------------------------------------
    def flows(self) -> list[Flow]:
        def after_profile(step: str) -> Callable[[FlowData, object], str | None]:
            def nxt(d: FlowData, _v: object) -> str | None:
                todo = self.profiles.missing(d.ctx)
                return todo[0] if todo else self._first_subject_step(d.values)
            return nxt

        profile_steps = [st for st in self.profiles.steps(after_profile) if st.name != "leader"]
        steps = [
            *profile_steps,
            Step("subject_named", prompt=lambda d: rt.SUBJECT_NAMED_PROMPT.format(name=d.values.name or ""),
                 options=lambda d: [Option("yes", rt.SUBJECT_NAMED_YES.format(name=d.values.name or ""),
                                           ("dung roi", "dung vay", "ok", *YES)),
                                    Option("other", rt.SUBJECT_NAMED_OTHER, (*NO, "sai"))],
                 typed=lambda d, t: {"name": text_between(2, 300, rt.SUBJECT_NAME_WHAT)(d, t)},
                 after=self._after_subject_named),
            Step("subject", prompt=lambda d: rt.SUBJECT_PROMPT, options=lambda d: self._options(self.form.subjects),
                 after=self._after_subject),
            Step("name", prompt=lambda d: rt.SUBJECT_NAME_PROMPT.get(d.values.subject, rt.SUBJECT_NAME_PROMPT[
                "colleague"]), parse=text_between(2, 300, rt.SUBJECT_NAME_WHAT)),
            Step("subject_unit", prompt=lambda d: self.profiles.unit_prompt(rt.SUBJECT_UNIT_PROMPT.format(
                who=rt.SUBJECT_UNIT_WHO.get(d.values.subject, rt.SUBJECT_UNIT_WHO["colleague"]))),
                 options=self._subject_units, after=lambda d, v: self._back_or(d, "criterion")),
            Step("criterion", prompt=lambda d: rt.CRITERION_PROMPT,
                 options=lambda d: self._options(self.form.criteria),
                 after=lambda d, v: self._back_or(d, "when" if d.values.story else "story")),
            Step("story", prompt=lambda d: rt.STORY_PROMPT, parse=text_between(MIN_STORY, MAX_STORY, rt.STORY_WHAT),
                 after=lambda d, v: self._back_or(d, "when")),
            Step("when", prompt=lambda d: rt.WHEN_PROMPT, parse=self._parse_when,
                 after=lambda d, v: self._back_or(d, "files")),
            Step("files", prompt=self._files_prompt,
                 options=lambda d: [Option("done", rt.FILES_DONE, ("xong", "tiep", "tiep tuc", "het", "du roi", "ok")),
                                    *([] if d.values.attached else
                                      [Option("none", rt.FILES_NONE, ("khong co", "khong", "ko", "khong co tep",
                                                                      "bo qua"))])],
                 take_files=self._take_files, again=self._files_again, after=lambda d, v: "confirm"),
            Step("confirm", prompt=self._summary, options=lambda d: self._confirm_options(),
                 after=lambda d, v: FINISH if v == "send" else "edit"),
            Step("edit", prompt=lambda d: rt.EDIT_WHICH,
                 options=lambda d: [Option("subject", rt.EDIT_SUBJECT), Option("criterion", rt.EDIT_CRITERION),
                                    Option("story", rt.EDIT_STORY), Option("when", rt.EDIT_WHEN),
                                    Option("files", rt.EDIT_FILES)],
                 after=self._edit),
        ]
        return [Flow(REPORT, rt.REPORT_TITLE, steps=steps, finish=self._submit, values=ReportValues,
                     confirm_cancel=lambda d: bool(d.values.story or d.values.attached))]

    @staticmethod
    def _confirm_options() -> list[Option]:
        return [Option("send", rt.CONFIRM_SEND, CONFIRM),
                Option("edit", rt.CONFIRM_EDIT, ("sua", "chinh sua"))]

    def repeated_send(self, ctx: TurnContext) -> str | None:
        """The code of the report just sent, when this message is its "Gửi báo cáo" again
        (pressed, its number or its words typed) within REPEAT_WINDOW."""
        sent = ctx.state.report_sent
        if not isinstance(sent, dict) or not sent.get("code"):
            return None
        try:
            at = datetime.fromisoformat(sent["at"])
        except (KeyError, TypeError, ValueError):
            return None
        if not timedelta(0) <= self.now() - at <= REPEAT_WINDOW:
            return None
        ev = ctx.event
        if ev.choice:
            return str(sent["code"]) if ev.choice == SEND else None
        # A typed number is read against the list on screen: a notice since (an officer asking
        # for more) put its own list there, and its "1" is that notice's.
        if [c.get("id") for c in ctx.state.choices] != sent.get("offered"):
            return None
        typed = " ".join(fold(ev.text or "").strip(" .").split())
        return str(sent["code"]) if typed in (sent.get("number"), fold(rt.CONFIRM_SEND)) else None

    def already_sent(self, code: str) -> list[Reply]:
        return [Reply(rt.ALREADY_SENT.format(code=code), self._after_sent())]

    @staticmethod
    def _options(items) -> list[Option]:  # noqa: ANN001
        return [Option(o.id, o.label, tuple(o.words)) for o in items]

    def _subject_units(self, d: FlowData) -> list[Option]:
        p = d.ctx.store.profiles.get(d.ctx.user_id)
        return self.profiles.units(mine=p.unit_id if p else None)

    @staticmethod
    def _first_subject_step(values: ReportValues) -> str:
        """A story that named its person ("kể về anh Nguyễn Văn An ...") offers that name to
        confirm instead of asking whose story it is."""
        return "subject_named" if values.name and values.subject is None else "subject"

    @staticmethod
    def _after_subject_named(d: FlowData, value: object) -> str:
        if value == "other":
            d.values.name = None  # not the person: asked whose story it is, then the name
            return "subject"
        if isinstance(value, dict):  # another name typed
            d.values.name = value["name"]
        d.values.subject = "colleague"
        return "subject_unit"

    def _after_subject(self, d: FlowData, value: object) -> str:
        if value == "self":
            return self._back_or(d, "criterion")
        # A colleague named in the story told straight away: the name is already there.
        if value == "colleague" and d.values.name and not d.values.editing:
            return "subject_unit"
        return "name"

    @staticmethod
    def _back_or(d: FlowData, default: str) -> str:
        """After an edit chosen at the summary, back to the summary."""
        return "confirm" if d.values.editing else default

    @staticmethod
    def _edit(d: FlowData, field: object) -> str:
        d.values.editing = True
        return str(field)

    def _parse_when(self, _d: FlowData, text: str) -> str:
        """The date as "YYYY-MM-DD" (a day), "YYYY-MM-DD/month" or "YYYY-MM-DD/year"."""
        today = self.today()
        try:
            when, precision = parse_date(text, today, self.form.relative_dates, self.form.future_dates)
        except DateInFuture:
            raise Invalid(rt.WHEN_FUTURE_WORD.format(text=texts.clip(text.strip(), 40))) from None
        except DateNotUnderstood:
            raise Invalid(rt.WHEN_NOT_UNDERSTOOD.format(text=texts.clip(text.strip(), 40))) from None
        if when > today:
            raise Invalid(rt.WHEN_FUTURE.format(date=when_label(when, precision)))
        if when.year < 2000:
            raise Invalid(rt.WHEN_TOO_OLD.format(date=when_label(when, precision)))
        return when.isoformat() + ("" if precision == "day" else f"/{precision}")

    # --- files ---------------------------------------------------------------------
    def _files_prompt(self, d: FlowData) -> str:
        template = rt.FILES_PROMPT if d.ctx.caps.takes_documents else rt.FILES_PROMPT_PHOTOS
        text = template.format(max_files=MAX_FILES, max_mb=self.max_file_mb)
        have = d.values.attached
        if have:
            text = rt.FILES_PROMPT_SOME.format(count=len(have), max_files=MAX_FILES,
                                               names=", ".join(f["name"] for f in have)) + "\n" + text
        return text

    def _files_again(self, d: FlowData) -> str:
        return rt.FILES_AGAIN.format(count=len(d.values.attached), max_files=MAX_FILES)

    def _take_files(self, d: FlowData, attachments: tuple) -> str:
        return "\n".join(self.keep_files(d.ctx, d.values.attached, attachments))

    def keep_files(self, ctx: TurnContext, have: list[dict], attachments: Iterable[Attachment]) -> list[str]:
        """Keep what is allowed (type, size, count) in `have`; a note per file."""
        notes = []
        for a in attachments:
            name = a.file_name or (f"ảnh {len(have) + 1}" if a.kind == "photo" else rt.FILE_NAMELESS)
            if len(have) >= MAX_FILES:
                notes.append(rt.FILE_TOO_MANY.format(max_files=MAX_FILES, name=name))
                continue
            declared = self._declared_kind(a)
            if declared is not None:  # refused before downloading it
                notes.append(rt.FILE_BAD_TYPE.format(name=name, kind=declared))
                continue
            if ctx.files is None:
                notes.append(rt.FILE_NO_FETCH)
                break
            try:
                # The bytes decide, not the name or what the messenger said: a renamed
                # program is not a PDF the Office can open.
                row = ctx.files.keep(a, self.max_file_mb * 1024 * 1024, frozenset(ALLOWED_TYPES))
            except FileUnavailable as exc:
                if exc.reason == "wrong_type":
                    notes.append(rt.FILE_UNREADABLE.format(name=name) if exc.kind is None
                                 else rt.FILE_BAD_TYPE.format(name=name, kind=exc.kind))
                    continue
                template = rt.FILE_TOO_LARGE if exc.reason == "too_large" else rt.FILE_UNAVAILABLE
                notes.append(template.format(name=name, max_mb=self.max_file_mb))
                continue
            # A photo has no name of its own (Telegram gives a storage path): "ảnh 1".
            label = name if a.kind == "photo" else (row.original_name or name)
            have.append({"id": row.id, "name": label, "mime": row.mime_type})
            notes.append(rt.FILE_KEPT.format(name=label))
        return notes

    @staticmethod
    def _declared_kind(a: Attachment) -> str | None:
        """The type a document says it is, when that is clearly one we do not take."""
        if a.kind == "photo":
            return None
        ext = ("." + a.file_name.rsplit(".", 1)[-1].lower()) if a.file_name and "." in a.file_name else ""
        mime = (a.mime_type or "").split(";")[0].strip().lower()
        if ext and ext not in ALLOWED_EXTENSIONS:
            return ext.lstrip(".").upper()
        if not ext and mime and mime not in ALLOWED_TYPES and mime != "application/octet-stream":
            return mime
        return None

    # --- summary and submission -------------------------------------------------------
    def _subject(self, ctx: TurnContext, v: ReportValues) -> tuple[str, str | None]:
        p = ctx.store.profiles.get(ctx.user_id)
        if v.subject == "self":
            return (p.full_name if p and p.full_name else ctx.user_name or ""), (p.unit_id if p else None)
        return v.name or "", v.subject_unit

    def _summary(self, d: FlowData) -> str:
        ctx, v = d.ctx, d.values
        p = ctx.store.profiles.get(ctx.user_id)
        subject, subject_unit = self._subject(ctx, v)
        files = v.attached
        return rt.SUMMARY.format(
            submitter=(p.full_name if p else None) or ctx.user_name or "", submitter_unit=self.profiles.unit_name(
                p.unit_id if p else None), subject=subject, subject_unit=self.profiles.unit_name(subject_unit),
            criterion=self.cards.criterion(v.criterion),
            when=when_label(*split_when(v.when)) if v.when else "",
            files=", ".join(f["name"] for f in files) or rt.NO_FILES, story=texts.clip(v.story or "", 1500))

    def start(self, ctx: TurnContext, told: str | None = None) -> list[Reply]:
        """The form; `told` is a message that already tells the story (put in the form,
        with the name it starts with)."""
        assert self.engine is not None
        values = ReportValues(draft=uuid.uuid4().hex)
        note = rt.REPORT_INTRO
        if told:
            story, name = self.form.told_story(told)
            if len(story) > MAX_STORY:
                note += "\n" + rt.STORY_PREFILL_TOO_LONG.format(length=f"{len(story):,}".replace(",", "."),
                                                                high=f"{MAX_STORY:,}".replace(",", "."))
            elif len(story) >= MIN_STORY:
                values.story = story
                if name:
                    values.name = name
                note += "\n" + (rt.STORY_PREFILLED_NAME.format(name=name) if name else rt.STORY_PREFILLED)
        todo = self.profiles.missing(ctx)
        return self.engine.start(ctx, REPORT, values, at=todo[0] if todo else self._first_subject_step(values),
                                 history=False, note=note)

    def _submit(self, ctx: TurnContext, d: FlowData) -> list[Reply]:
        v, ev = d.values, ctx.event
        p = ctx.store.profiles.get(ctx.user_id)
        subject, subject_unit = self._subject(ctx, v)
        new = reports.NewReport(
            user_id=ctx.user_id, channel=ev.channel, chat_id=ev.chat_id,
            submitter_name=(p.full_name if p else None) or ev.display_name or "",
            submitter_unit_id=p.unit_id if p else None, subject_kind=v.subject, subject_name=subject[:512],
            subject_unit_id=subject_unit, criterion=v.criterion, story=v.story,
            happened_on=split_when(v.when)[0], happened_precision=split_when(v.when)[1],
            submit_key=f"{ev.channel}:{ev.user_id}:{v.draft}")
        row = ctx.store.reports.submit(new, [f["id"] for f in v.attached], by(ctx), tz=self.tz)
        officers = sorted(set(self.officers()))
        card = self.cards.card(ctx.store.reports, row)
        for channel, officer in officers:
            text = rt.OFFICER_NEW.format(code=row.code, submitter=row.submitter_name, channel=ev.channel, card=card)
            ctx.notify(Notice(channel, officer, Reply(text, review_choices(row.id)),  # type: ignore[arg-type]
                              key=f"report:{row.id}:new:{channel}:{officer}"))
        template = rt.SENT if officers else rt.SENT_NO_OFFICER
        # What "Gửi báo cáo" was at the summary (a button, its number, its words), so that the
        # same tap repeated is told the report went, rather than opening the next list's "1".
        number = next(i for i, o in enumerate(self._confirm_options(), 1) if o.value == "send")
        choices = self._after_sent()
        ctx.state.report_sent = {"code": row.code, "at": self.now().isoformat(), "number": str(number),
                                    "offered": [c.id for c in choices]}
        return [Reply(template.format(code=row.code), choices)]

    @staticmethod
    def _after_sent() -> list[Choice]:
        return [Choice(rc.MINE.encode(), rt.MENU_MY_REPORTS), ch.menu()]

    # --- the submitter's list ----------------------------------------------------------
    def mine(self, ctx: TurnContext) -> list[Reply]:
        rows = ctx.store.reports.of_user(ctx.user_id)
        if not rows:
            return [Reply(rt.MY_NONE, [Choice(rc.REPORT_START.encode(), texts.MENU_REPORT), ch.menu()])]
        text = rt.MY_HEAD
        choices = []
        for r in rows:
            text += rt.MY_LINE.format(code=r.code, created=self.cards.local(r.created_at).strftime("%d/%m/%Y"),
                                      subject=texts.clip(r.subject_name, 60), status=rt.STATUS.get(r.status, r.status))
            if r.status == "approved" and r.proposed_award:
                text += rt.MY_AWARD.format(award=self.cards.award(r.proposed_award))
            if r.review_note and r.status in ("needs_info", "rejected", "approved"):
                text += rt.MY_NOTE.format(note=texts.clip(r.review_note, 300))
            if r.status == "needs_info":
                choices.append(Choice(rc.ADD_MORE.encode(r.id), f"{rt.ADD_MORE} {r.code}"))
            if r.status in reports.OPEN:
                choices.append(Choice(rc.WITHDRAW.encode(r.id), rt.WITHDRAW.format(code=r.code)))
        choices.append(ch.menu())
        return [Reply(text, choices)]

    def withdraw(self, ctx: TurnContext, choice: str) -> list[Reply]:
        """"Rút báo cáo" asks first; rc.WITHDRAW_SURE is the answer that withdraws."""
        sure = rc.WITHDRAW_SURE.matches(choice)
        rid = (rc.WITHDRAW_SURE if sure else rc.WITHDRAW).one(choice)
        if not isinstance(rid, int):
            return [Reply(texts.STALE_CHOICE)]
        row = ctx.store.reports.get(rid)
        if row is None or row.user_id != ctx.user_id:
            return [Reply(rt.NO_SUCH_REPORT)]
        cannot = Reply(rt.CANNOT_WITHDRAW.format(code=row.code, status=rt.STATUS.get(row.status, row.status)),
                       [Choice(rc.MINE.encode(), rt.MENU_MY_REPORTS), ch.menu()])
        if not sure:
            if row.status not in reports.OPEN:
                return [cannot]
            return [Reply(rt.WITHDRAW_CONFIRM.format(code=row.code, subject=texts.clip(row.subject_name, 80)),
                          [Choice(rc.WITHDRAW_SURE.encode(rid), rt.WITHDRAW_YES.format(code=row.code)),
                           Choice(rc.MINE.encode(), rt.WITHDRAW_NO)])]
        if not ctx.store.reports.withdraw(rid, ctx.user_id, by(ctx), ctx.user_name):
            return [cannot]
        for channel, officer in sorted(set(self.officers())):
            ctx.notify(Notice(channel, officer, Reply(rt.OFFICER_WITHDRAWN.format(
                code=row.code, subject=texts.clip(row.subject_name, 80))), key=f"report:{rid}:withdrawn:{channel}:{officer}"))
        return [Reply(rt.WITHDRAWN.format(code=row.code), [Choice(rc.MINE.encode(), rt.MENU_MY_REPORTS),
                                                          ch.menu()])]




def review_choices(rid: int) -> list[Choice]:
    return [Choice(rc.APPROVE.encode(rid), rt.APPROVE), Choice(rc.ASK_MORE.encode(rid), rt.ASK_MORE),
            Choice(rc.REJECT.encode(rid), rt.REJECT)]
