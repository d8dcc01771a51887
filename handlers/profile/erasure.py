"""/xoahoso: a person erases their data. Asked first, with what will go and what the
Office keeps; done in the turn's one transaction (storage/erase.py), the files'
bytes removed from the disk once it is committed; the answer says what went.
Officers are told of each report they were still to decide that went with it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from handlers import choices as ch
from handlers.context import TurnContext
from handlers.events import Notice, Reply
from handlers.flows import CANCEL, FINISH, NO, YES, Flow, FlowData, FlowEngine, FlowValues, Option, Step
from handlers.reports import texts as rt
from storage import erase as storage
from storage.erase import ReportRef

log = logging.getLogger(__name__)

DELETE = "profile_delete"
MAX_CODES = 10  # listed by code; more are counted


def _codes(rows: list[ReportRef]) -> str:
    codes = [r.code for r in rows]
    shown = ", ".join(codes[:MAX_CODES])
    return shown + (f" và {len(codes) - MAX_CODES} báo cáo khác" if len(codes) > MAX_CODES else "")


def describe(p: storage.Plan, head: str) -> str:
    """What goes and what stays, from the same counts the erasure uses."""
    lines = [head]
    if p.profile:
        lines.append(rt.ERASE_PROFILE)
    if p.erased_reports:
        lines.append(rt.ERASE_REPORTS.format(count=len(p.erased_reports), codes=_codes(p.erased_reports)))
    if p.file_ids:
        lines.append(rt.ERASE_FILES.format(count=len(p.file_ids)))
    if p.office_questions:
        lines.append(rt.ERASE_OFFICE.format(count=len(p.office_questions)))
    if p.logged_questions:
        lines.append(rt.ERASE_LOG.format(count=p.logged_questions))
    lines.append(rt.ERASE_ALWAYS)
    text = "\n".join(lines)
    if p.kept_reports:
        text += "\n\n" + rt.ERASE_KEEP_REPORTS.format(count=len(p.kept_reports), codes=_codes(p.kept_reports))
    return text + "\n\n" + rt.ERASE_KEEP_ALWAYS



@dataclass
class DeleteValues(FlowValues):
    confirm: str | None = None  # yes | no

class Erasure:
    def __init__(self, officers: Callable[[], Iterable[tuple[str, str]]]):
        self.officers = officers
        self.engine: FlowEngine | None = None

    def flows(self) -> list[Flow]:
        return [Flow(DELETE, rt.DELETE_TITLE, finish=self._erase, values=DeleteValues, steps=[
            Step("confirm", prompt=self._ask,
                 options=lambda d: [Option("yes", rt.DELETE_YES, ("xoa", *YES)),
                                    Option("no", rt.DELETE_NO, ("giu", "thoi", *NO))],
                 after=lambda d, v: FINISH if v == "yes" else CANCEL)])]

    def start(self, ctx: TurnContext) -> list[Reply]:
        assert self.engine is not None
        if ctx.store.erasure.plan(ctx.user_id).empty:
            return [Reply(rt.NOTHING_TO_DELETE)]
        return self.engine.start(ctx, DELETE)

    @staticmethod
    def _ask(d: FlowData) -> str:
        # Counted each time the question is shown: what it lists is what would go now.
        return describe(d.ctx.store.erasure.plan(d.ctx.user_id), rt.ERASE_ASK) + "\n\n" + rt.ERASE_SURE

    def _erase(self, ctx: TurnContext, _d: FlowData) -> list[Reply]:
        done = ctx.store.erasure.erase(ctx.user_id)
        ctx.store_name = False
        ctx.state.clear()  # what the last answers were about goes too
        if done.blobs:
            if ctx.files is not None:
                files, blobs = ctx.files, sorted(done.blobs)
                ctx.after_commit.append(lambda: files.drop_unreferenced(blobs))
            else:  # a channel without a file store (the console) has no files of its own
                log.warning("erasure: %d stored files' bytes left on disk (no file store in this process)",
                            len(done.blobs))
        officers = sorted(set(self.officers()))
        for row in done.erased_reports:
            if row.status in ("pending", "needs_info"):
                for channel, officer in officers:
                    ctx.notify(Notice(channel, officer, Reply(rt.OFFICER_ERASED.format(code=row.code)),
                                      key=f"report:{row.id}:erased:{channel}:{officer}"))
        return [Reply(describe(done, rt.ERASE_DONE), [ch.menu()])]
