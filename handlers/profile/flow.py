"""The staff profile (full name, unit, unit leader): asked the first time someone
reports a good example, shown and edited with /hoso, deleted with /xoahoso (handlers/profile/erasure.py).

The steps that ask for it are built here once and used by two flows: the report
flow (before its own steps, only what is missing) and the profile flow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from content.normalize import fold, has_letters
from content.service import Knowledge
from handlers import choices as ch
from handlers import texts
from handlers.context import TurnContext
from handlers.events import Choice, Reply
from handlers.flows import FINISH, NO, YES, Flow, FlowData, FlowEngine, FlowValues, Invalid, Option, Step
from handlers.profile import choices as pc
from handlers.profile import invite_tries
from handlers.reports import texts as rt
from storage.models import utcnow

PROFILE = "profile"


@dataclass
class ProfileValues(FlowValues):
    """The profile's own form ("Sửa hồ sơ"): one field, or all of them (`all`)."""

    all: bool = False
    invite: bool | None = None
    full_name: str | None = None
    unit: str | None = None
    leader: str | None = None  # yes | no


def clean_name(text: str) -> str:
    name = " ".join(text.split())
    if len(name) < 3:
        raise Invalid(texts.FLOW_TOO_SHORT.format(what=rt.NAME_WHAT, low=3))
    if len(name) > 100:
        raise Invalid(texts.FLOW_TOO_LONG.format(what=rt.NAME_WHAT, length=len(name), high=100))
    if not has_letters(name):
        raise Invalid(rt.NAME_NEEDS_LETTERS)
    # "nguyễn văn an" typed in lower case is written as a name is.
    return name.title() if name == name.lower() else name


def yes_no() -> list[Option]:
    return [Option("yes", rt.LEADER_YES, YES), Option("no", rt.LEADER_NO, NO)]


def unit_prompt(knowledge: Knowledge, question: str) -> str:
    """A question that offers the units, with what units.yaml's `note` says of the list
    (that it is an example, say) while the Office keeps one; nothing once it is removed."""
    note = knowledge.kb.units_note
    return f"{question}\n({note})" if note else question


class Profiles:
    def __init__(self, knowledge: Knowledge, invite_code: str | None, tz: ZoneInfo,
                 clock: Callable[[], datetime] = utcnow):
        self.knowledge = knowledge
        self.invite_code = (invite_code or "").strip() or None
        self.tz = tz
        self.clock = clock  # when a wrong code was typed and when a lockout ends
        self.engine: FlowEngine | None = None

    # --- pieces shared with the report flow ---------------------------------------------
    def units(self, mine: str | None = None) -> list[Option]:
        """The units to pick from; `mine` (the person's own unit) first, said to be theirs:
        a colleague's unit is most often one's own, and it is then the first line."""
        units = [Option(u.id, u.name) for u in self.knowledge.kb.units]
        own = [Option(o.value, rt.UNIT_MINE.format(name=o.label)) for o in units if o.value == mine]
        return own + [o for o in units if o.value != mine]

    def unit_name(self, unit_id: str | None) -> str:
        if not unit_id:
            return rt.PROFILE_NOT_SET
        return self.knowledge.kb.unit_name(unit_id)

    def unit_prompt(self, question: str) -> str:
        return unit_prompt(self.knowledge, question)

    def missing(self, ctx: TurnContext) -> list[str]:
        """The profile steps still to ask before a first report, in order."""
        p = ctx.store.profiles.get(ctx.user_id)
        steps = []
        if self.invite_code and not (p and p.invite_ok):
            steps.append("invite")
        if not (p and p.full_name):
            steps.append("full_name")
        if not (p and p.unit_id):
            steps.append("unit")
        return steps

    def invite_prompt(self, d: FlowData) -> str:
        until = invite_tries.locked_until(d.ctx.state, self.clock())
        if until is None:
            return rt.INVITE_PROMPT
        return rt.INVITE_LOCKED.format(limit=invite_tries.LIMIT, until=f"{until.astimezone(self.tz):%H:%M ngày %d/%m/%Y}")

    def check_invite(self, d: FlowData, text: str) -> bool:
        """The code, with a limit on wrong tries (see handlers/profile/invite_tries.py)."""
        state, now = d.ctx.state, self.clock()
        if invite_tries.locked_until(state, now) is not None:
            raise Invalid(rt.INVITE_NOT_CHECKED)  # the prompt says until when
        if fold(text).strip() != fold(self.invite_code or "").strip():
            left = invite_tries.wrong(state, now)
            raise Invalid(rt.INVITE_WRONG.format(left=left) if left else rt.INVITE_WRONG_LAST)
        invite_tries.right(state)
        return True

    def steps(self, after: Callable[[str], Callable[[FlowData, object], str | None]]) -> list[Step]:
        """invite, full_name, unit, leader; `after(step)` says where each goes next.
        Each answer is saved at once, in the turn that gives it."""
        return [
            Step("invite", prompt=self.invite_prompt, parse=self.check_invite,
                 after=self._saving("invite", after("invite"))),
            Step("full_name", prompt=lambda d: f"{rt.PRIVACY_NOTICE}\n\n{rt.NAME_PROMPT}",
                 parse=lambda d, t: clean_name(t), after=self._saving("full_name", after("full_name"))),
            Step("unit", prompt=lambda d: self.unit_prompt(rt.UNIT_PROMPT), options=lambda d: self.units(),
                 after=self._saving("unit", after("unit"))),
            Step("leader", prompt=lambda d: rt.LEADER_PROMPT, options=lambda d: yes_no(),
                 after=self._saving("leader", after("leader"))),
        ]

    @staticmethod
    def _saving(step: str, then: Callable[[FlowData, object], str | None]) -> Callable[[FlowData, object], str | None]:
        fields = {"invite": lambda v: {"invite_ok": True}, "full_name": lambda v: {"full_name": v},
                  "unit": lambda v: {"unit_id": v}, "leader": lambda v: {"is_leader": v == "yes"}}

        def save(d: FlowData, value: object) -> str | None:
            ctx = d.ctx
            first = ctx.store.profiles.get(ctx.user_id) is None
            extra = {"notice_seen_at": utcnow()} if first else {}
            ctx.store.profiles.save(ctx.user_id, **fields[step](value), **extra)
            return then(d, value)

        return save

    # --- the profile flow ---------------------------------------------------------------
    def flows(self) -> list[Flow]:
        def after(step: str) -> Callable[[FlowData, object], str | None]:
            order = ["full_name", "unit", "leader"]

            def nxt(d: FlowData, _v: object) -> str | None:
                if getattr(d.values, "all", False) and step in order[:-1]:  # the report flow has no `all`
                    return order[order.index(step) + 1]
                return FINISH

            return nxt

        return [Flow(PROFILE, rt.PROFILE_TITLE, steps=self.steps(after), finish=self._saved, values=ProfileValues)]

    def show(self, ctx: TurnContext) -> list[Reply]:
        p = ctx.store.profiles.get(ctx.user_id)
        if p is None or not (p.full_name or p.unit_id):
            return [Reply(rt.PROFILE_EMPTY, [Choice(pc.PROFILE_EDIT.encode("all"), rt.FILL_PROFILE),
                                             ch.menu()])]
        text = rt.PROFILE_SHOW.format(name=p.full_name or rt.PROFILE_NOT_SET, unit=self.unit_name(p.unit_id),
                                      leader=rt.LEADER_UNKNOWN if p.is_leader is None else rt.YES if p.is_leader
                                      else rt.NO,
                                      reminders=rt.REMINDERS_ON if p.reminders else rt.REMINDERS_OFF,
                                      privacy=rt.PRIVACY_NOTICE)
        return [Reply(text, [Choice(pc.PROFILE_EDIT.encode("full_name"), rt.EDIT_NAME), Choice(pc.PROFILE_EDIT.encode("unit"), rt.EDIT_UNIT),
                             Choice(pc.PROFILE_EDIT.encode("leader"), rt.EDIT_LEADER), Choice(pc.PROFILE_DELETE.encode(), rt.DELETE_PROFILE),
                             ch.menu()])]

    def edit(self, ctx: TurnContext, choice: str) -> list[Reply]:
        assert self.engine is not None
        field = pc.PROFILE_EDIT.one(choice)
        if field == "all":
            first = "invite" if self.invite_code and "invite" in self.missing(ctx) else "full_name"
            return self.engine.start(ctx, PROFILE, ProfileValues(all=True), at=first, history=False)
        if field not in ("full_name", "unit", "leader"):
            return [Reply(texts.STALE_CHOICE)]
        return self.engine.start(ctx, PROFILE, ProfileValues(), at=field, history=False)

    def _saved(self, ctx: TurnContext, _d: FlowData) -> list[Reply]:
        return [Reply(rt.PROFILE_SAVED), *self.show(ctx)]
