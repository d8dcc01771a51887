"""Officers' side of good-example reports: /duyet walks the pending reports one at a
time (with their files), each decision (approve with a proposed award, ask for
more, reject with a reason) is recorded with who and when and told to the
submitter; the submitter's addition joins the report; /xuat gives the exports.

Only officers (ADMIN_IDS) review and export; a decision is a conditional update,
so of two officers deciding one report at the same moment only the first counts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from handlers import choices as ch
from handlers import texts
from handlers.context import TurnContext
from handlers.events import Choice, Document, Notice, Reply
from handlers.flows import FINISH, SEND, Flow, FlowData, FlowEngine, FlowValues, Option, Step, text_between
from handlers.officers import actor
from handlers.reports import choices as rc
from handlers.reports import service as review_service
from handlers.reports import texts as rt
from handlers.reports.flow import ReportCards, Reports, by
from handlers.reports.service import STATUS_OF
from storage.links import EXPORT_TTL, FILE_TTL
from storage.models import Report, utcnow

REVIEW = "report_review"
MORE = "report_more"
EXPORT = "report_export"
DECISION_STEP = {"approve": "award", "more": "question", "reject": "reason"}



class Link(NamedTuple):
    url: str
    expires_at: datetime  # UTC


# (ctx, stored file id, file name, how long it works) -> a one-time link, or None where
# links cannot be served.
LinkMaker = Callable[[TurnContext, int, str, timedelta], "Link | None"]



@dataclass
class ReviewValues(FlowValues):
    rid: int = 0
    code: str = ""
    decision: str | None = None  # approve | more | reject | skip
    award: str | None = None  # an award id of report_form.yaml, or "none"
    question: str | None = None  # what the submitter is asked to add
    reason: str | None = None  # why it is not approved


@dataclass
class MoreValues(FlowValues):
    """The submitter's addition after "cần bổ sung"."""

    rid: int = 0
    code: str = ""
    note: str = ""  # what the officer asked for
    more: str | None = None
    text: str | None = None
    files: list[dict] = field(default_factory=list)  # kept files ({"id", ...}) as Reports.keep_files records them


@dataclass
class ExportValues(FlowValues):
    kind: str = ""

class Review:
    def __init__(self, submissions: Reports, is_officer: Callable[[str, str], bool],
                 officers: Callable[[], Iterable[tuple[str, str]]], make_link: LinkMaker | None = None):
        self.submissions = submissions
        self.cards: ReportCards = submissions.cards
        self.is_officer = is_officer
        self.officers = officers
        self.make_link = make_link
        self.engine: FlowEngine | None = None

    def _officer(self, ctx: TurnContext) -> bool:
        return self.is_officer(ctx.event.channel, ctx.event.user_id)

    # --- flows -----------------------------------------------------------------------
    def flows(self) -> list[Flow]:
        review = Flow(REVIEW, rt.REVIEW_TITLE, finish=self._decide, officers_only=True, values=ReviewValues, steps=[
            Step("decision", prompt=lambda d: rt.REVIEW_DECIDE.format(code=d.values.code),
                 options=lambda d: [Option("approve", rt.APPROVE, ("duyet", "dong y")),
                                    Option("more", rt.ASK_MORE, ("bo sung", "yeu cau bo sung")),
                                    Option("reject", rt.REJECT, ("khong duyet", "tu choi")),
                                    Option("skip", rt.SKIP, ("de sau", "bo qua", "tiep"))],
                 after=lambda d, v: DECISION_STEP.get(str(v), FINISH)),
            Step("award", prompt=lambda d: rt.AWARD_PROMPT.format(code=d.values.code),
                 options=lambda d: [*(Option(a.id, a.name) for a in self.cards.form.awards),
                                    Option("none", rt.AWARD_NONE, ("chua", "khong"))],
                 after=lambda d, v: FINISH),
            Step("question", prompt=lambda d: rt.QUESTION_PROMPT.format(code=d.values.code),
                 parse=text_between(5, 1000, rt.QUESTION_WHAT), after=lambda d, v: FINISH),
            Step("reason", prompt=lambda d: rt.REASON_PROMPT.format(code=d.values.code),
                 parse=text_between(5, 1000, rt.REASON_WHAT), after=lambda d, v: FINISH),
        ])
        more = Flow(MORE, rt.MORE_TITLE, finish=self._add_more, values=MoreValues, steps=[
            Step("more", prompt=self._more_prompt,
                 options=lambda d: [Option("send", rt.MORE_SEND, (*SEND, "xong"))],
                 take_files=self._more_files, take_text=self._more_text,
                 after=lambda d, v: FINISH if self._has_more(d) else "more"),
        ])
        export = Flow(EXPORT, rt.EXPORT_TITLE, finish=self._export, officers_only=True, values=ExportValues, steps=[
            Step("kind", prompt=lambda d: rt.EXPORT_PROMPT,
                 options=lambda d: [Option(k, label) for k, label in rt.EXPORT_KINDS.items()]),
        ])
        return [review, more, export]

    # --- review ----------------------------------------------------------------------
    def start(self, ctx: TurnContext, after_id: int = 0) -> list[Reply]:
        """/duyet: the oldest pending report (after `after_id`, for "để sau")."""
        if not self._officer(ctx):
            return [Reply(texts.NOT_ADMIN, [ch.menu()])]
        rows = ctx.store.reports.pending(after_id)
        if not rows and after_id:  # "để sau" on the newest: round again, without the one set aside
            rows = [r for r in ctx.store.reports.pending() if r.id != after_id]
            if not rows:
                return [Reply(rt.REVIEW_NO_OTHER, [ch.menu()])]
        if not rows:
            return [Reply(rt.REVIEW_NONE, [ch.menu()])]
        return self._show(ctx, rows[0], at="decision")

    def start_decision(self, ctx: TurnContext, choice: str) -> list[Reply]:
        """An officer's Duyệt / Yêu cầu bổ sung / Không duyệt on a report's notice."""
        if not self._officer(ctx):
            return [Reply(texts.NOT_ADMIN, [ch.menu()])]
        kind = ch.kind_of(choice, *rc.DECISIONS)
        rid = kind.one(choice) if kind else None
        if not isinstance(rid, int):
            return [Reply(texts.STALE_CHOICE)]
        row = ctx.store.reports.get(rid)
        if row is None:
            return [Reply(rt.NO_SUCH_REPORT)]
        if row.status != "pending":
            return [self._already(ctx, row)]
        decision = rc.DECISIONS[kind]  # type: ignore[index]
        assert self.engine is not None
        return self.engine.start(ctx, REVIEW, ReviewValues(rid=rid, code=row.code, decision=decision),
                                 at=DECISION_STEP[decision], history=False)

    def _show(self, ctx: TurnContext, row: Report, at: str) -> list[Reply]:
        assert self.engine is not None
        card = Reply(self.cards.card(ctx.store.reports, row), [], self._documents(ctx, row))
        files = ctx.store.reports.files_of(row.id)  # type: ignore[arg-type]
        if files and not ctx.caps.documents:
            card = Reply(card.text + "\n\n" + self._links(ctx, files), [])
        return [card, *self.engine.start(ctx, REVIEW, ReviewValues(rid=row.id, code=row.code), at=at,  # type: ignore[arg-type]
                                                history=False)]

    def _documents(self, ctx: TurnContext, row: Report) -> list[Document]:
        if not ctx.caps.documents:
            return []
        files = ctx.store.reports.files_of(row.id)  # type: ignore[arg-type]
        return [Document(f.original_name or f"{row.code}-{i}", mime_type=f.mime_type, stored_file_id=f.id,
                         caption=f"{row.code} ({i}/{len(files)})") for i, f in enumerate(files, 1)]

    def _links(self, ctx: TurnContext, files) -> str:  # noqa: ANN001
        links = [(f.original_name or f"tệp {i}", self.make_link(ctx, f.id, f.original_name or f"tep-{i}", FILE_TTL)
                  if self.make_link else None) for i, f in enumerate(files, 1)]
        if not links or any(link is None for _n, link in links):
            return rt.FILES_NO_LINKS.format(count=len(files))
        first = min(link.expires_at for _n, link in links if link)
        return rt.FILES_ON_ZALO.format(count=len(files), links="".join(
            rt.FILES_LINK_LINE.format(name=n, url=link.url) for n, link in links if link),
            **self._expiry(first, FILE_TTL))

    def _expiry(self, at: datetime, ttl: timedelta) -> dict[str, object]:
        """When a link stops working, as the officer reads it (local time) and in minutes."""
        return {"expires": self.cards.local(at).strftime("%H:%M"), "minutes": int(ttl.total_seconds() // 60)}

    def _already(self, ctx: TurnContext, row: Report) -> Reply:
        return Reply(review_service.already(ctx.store, row, self.cards.tz))

    def _decide(self, ctx: TurnContext, d: FlowData) -> list[Reply]:
        v = d.values
        rid = int(v.rid)
        decision = v.decision
        if decision == "skip" or decision not in STATUS_OF:
            return self.start(ctx, after_id=rid)
        out = review_service.decide(ctx.store, actor(ctx), rid, decision, award=v.award,
                                    note=v.question if decision == "more" else v.reason, now=utcnow(),
                                    form=self.cards.form, tz=self.cards.tz)
        if not out.done:
            return [Reply(out.text)]
        for notice in out.notices:
            ctx.notify(notice)
        left = ctx.store.reports.count_pending()
        if left:
            return [Reply(f"{out.text}\n{rt.REVIEW_MORE_LEFT.format(count=left)}",
                          [Choice(rc.REVIEW.encode(), rt.REVIEW_NEXT), ch.menu()])]
        return [Reply(f"{out.text}\n{rt.REVIEW_NONE}", [ch.menu()])]

    # --- the submitter's addition -------------------------------------------------------
    def start_more(self, ctx: TurnContext, choice: str) -> list[Reply]:
        assert self.engine is not None
        rid = rc.ADD_MORE.one(choice)
        if not isinstance(rid, int):
            return [Reply(texts.STALE_CHOICE)]
        row = ctx.store.reports.get(rid)
        if row is None or row.user_id != ctx.user_id:
            return [Reply(rt.NO_SUCH_REPORT)]
        if row.status != "needs_info":
            return [Reply(rt.MORE_NOT_NEEDED.format(code=row.code, status=rt.STATUS.get(row.status, row.status)))]
        return self.engine.start(ctx, MORE, MoreValues(rid=rid, code=row.code, note=row.review_note or ""))

    def _more_prompt(self, d: FlowData) -> str:
        kinds = rt.MORE_KINDS if d.ctx.caps.takes_documents else rt.MORE_KINDS_PHOTOS
        text = rt.MORE_PROMPT.format(code=d.values.code, note=texts.clip(d.values.note, 600), kinds=kinds)
        if d.values.more == "send" and not self._has_more(d):  # "Gửi bổ sung" with nothing in it
            return rt.MORE_EMPTY + "\n\n" + text
        got = []
        if d.values.text:
            got.append(rt.MORE_TEXT_ITEM.format(length=len(d.values.text)))
        if d.values.files:
            got.append(rt.MORE_FILES_ITEM.format(count=len(d.values.files)))
        return text + ("\n\n" + rt.MORE_GOT.format(what=", ".join(got)) if got else "")

    def _more_text(self, d: FlowData, text: str) -> str:
        joined = "\n".join(t for t in (d.values.text, text.strip()) if t)
        if len(joined) > 4000:
            return texts.FLOW_TOO_LONG.format(what=rt.STORY_WHAT, length=len(joined), high=4000)
        d.values.text = joined
        return ""

    def _more_files(self, d: FlowData, attachments: tuple) -> str:
        return "\n".join(self.submissions.keep_files(d.ctx, d.values.files, attachments))

    @staticmethod
    def _has_more(d: FlowData) -> bool:
        return bool(d.values.text or d.values.files)

    def _add_more(self, ctx: TurnContext, d: FlowData) -> list[Reply]:
        v = d.values
        rid = int(v.rid)
        file_ids = [f["id"] for f in v.files]
        if not ctx.store.reports.add_more(rid, ctx.user_id, v.text, file_ids, by(ctx), ctx.user_name):
            row = ctx.store.reports.get(rid)
            status = rt.STATUS.get(row.status, row.status) if row else ""
            return [Reply(rt.MORE_NOT_NEEDED.format(code=v.code, status=status))]
        row = ctx.store.reports.get(rid)
        assert row is not None
        step = len(ctx.store.reports.events_of(rid))
        for channel, officer in sorted(set(self.officers())):
            text = rt.OFFICER_MORE.format(submitter=row.submitter_name, code=row.code,
                                          text=texts.clip(v.text or "", 1500), files=len(file_ids) or rt.NO_FILES)
            ctx.notify(Notice(channel, officer, Reply(text, [Choice(rc.REVIEW.encode(), rt.REVIEW_NEXT)]),
                              key=f"report:{rid}:added:{step}:{channel}:{officer}"))
        return [Reply(rt.MORE_SENT.format(code=row.code), [ch.menu()])]

    # --- exports -----------------------------------------------------------------------
    def start_export(self, ctx: TurnContext) -> list[Reply]:
        if not self._officer(ctx):
            return [Reply(texts.NOT_ADMIN, [ch.menu()])]
        assert self.engine is not None
        return self.engine.start(ctx, EXPORT)

    def _export(self, ctx: TurnContext, d: FlowData) -> list[Reply]:
        from handlers.reports.exports import build_export  # openpyxl and python-docx load only when asked

        kind = d.values.kind
        export = build_export(ctx.store.reports, self.cards.knowledge.kb, kind, tz=self.cards.tz)
        if export.count == 0:
            return [Reply(rt.EXPORT_EMPTY.format(what=rt.EXPORT_KINDS[kind]), [ch.menu()])]
        if ctx.files is None:
            return [Reply(rt.EXPORT_NO_FILES.format(kind=kind, name=export.file_name), [ch.menu()])]
        row = ctx.files.put(export.data, export.mime_type, export.file_name)
        if ctx.caps.documents:
            doc = Document(export.file_name, mime_type=export.mime_type, stored_file_id=row.id)
            return [Reply(rt.EXPORT_READY.format(name=export.file_name, count=export.count), [], [doc])]
        link = self.make_link(ctx, row.id, export.file_name, EXPORT_TTL) if self.make_link else None
        if link is None:
            return [Reply(rt.EXPORT_NO_FILES.format(kind=kind, name=export.file_name), [ch.menu()])]
        return [Reply(rt.EXPORT_LINK.format(name=export.file_name, count=export.count, url=link.url,
                                            **self._expiry(link.expires_at, EXPORT_TTL)))]
