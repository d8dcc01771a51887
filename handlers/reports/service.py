"""Deciding a good-example report, as chat (/duyet) and the officers' console both do:
approve with a proposed award, ask the submitter for more, or reject with a reason.

`decide` records the decision (a conditional update: of two officers deciding at once,
in chat or in the browser, only the first counts; the second is told who acted first)
and returns the notice to the submitter, with exactly the texts chat has always sent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from content.report_form import ReportForm
from handlers import choices as ch
from handlers import texts
from handlers.events import Choice, Notice, Reply
from handlers.flows import Invalid, text_between
from handlers.officers import recorded_in
from handlers.reports import choices as rc
from handlers.reports import texts as rt
from handlers.services import Actor, Outcome
from storage.models import Report, aware
from storage.turns import TurnStore

STATUS_OF = {"approve": "approved", "more": "needs_info", "reject": "rejected"}
NOTE_MIN, NOTE_MAX = 5, 1000  # what the submitter is asked, or why not: as chat's steps take them


def decide(store: TurnStore, actor: Actor, report_id: int, decision: str, *, award: str | None = None,
           note: str | None = None, now: datetime, form: ReportForm, tz: ZoneInfo) -> Outcome:
    """`decision`: approve (with `award`, an award id of report_form.yaml, or None), more
    (`note`: what to add) or reject (`note`: why). `form` names the awards, `tz` says when
    another officer decided, as the officers read the time."""
    status = STATUS_OF.get(decision)
    if status is None:
        return Outcome(False, texts.STALE_CHOICE)
    if decision == "approve":
        note = None
        if award in ("", "none"):
            award = None
        if award is not None and form.award(award) is None:
            return Outcome(False, texts.STALE_CHOICE)
    else:
        award = None
        what = rt.QUESTION_WHAT if decision == "more" else rt.REASON_WHAT
        try:
            note = text_between(NOTE_MIN, NOTE_MAX, what)(None, note or "")  # type: ignore[arg-type]
        except Invalid as e:
            return Outcome(False, str(e))
    if not store.reports.decide(report_id, status, by=actor.by, name=actor.name, note=note, award=award, at=now):
        row = store.reports.get(report_id)
        if row is None:
            return Outcome(False, rt.NO_SUCH_REPORT)
        return Outcome(False, already(store, row, tz), already=True)
    row = store.reports.get(report_id)
    assert row is not None
    award_name = _award_name(form, award) if award else None
    to_submitter = rt.TO_SUBMITTER[status].format(
        code=row.code, subject=texts.clip(row.subject_name, 80), note=note or "",
        award=rt.TO_SUBMITTER_AWARD.format(award=award_name) if award_name else "")
    to_submitter += "\n" + rt.SIGNED.format(who=actor.name)
    choices = [Choice(rc.ADD_MORE.encode(report_id), rt.ADD_MORE)] if status == "needs_info" else []
    step = len(store.reports.events_of(report_id))
    notice = Notice(row.channel, row.chat_id, Reply(to_submitter, [*choices, ch.menu()]),
                    key=f"report:{report_id}:decision:{step}")
    done = rt.DECIDED[status].format(code=row.code, award=rt.AWARD_SUFFIX.format(award=award_name)
                                     if award_name else "")
    return Outcome(True, done, [notice])


def already(store: TurnStore, row: Report, tz: ZoneInfo) -> str:
    """What an officer reads when the report is not waiting for a decision any more."""
    if row.status == "withdrawn":
        return rt.ALREADY_WITHDRAWN.format(code=row.code)
    when = aware(row.reviewed_at).astimezone(tz).strftime("%H:%M %d/%m/%Y") if row.reviewed_at else "?"
    return rt.ALREADY_DECIDED.format(code=row.code, who=recorded_in(store, row.reviewer_name, row.reviewed_by),
                                     when=when, status=rt.STATUS.get(row.status, row.status))


def _award_name(form: ReportForm, aid: str) -> str:
    a = form.award(aid)
    return a.name if a else aid
