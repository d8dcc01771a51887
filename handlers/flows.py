"""Multi-step conversations (a question to the Office, a report, a new deadline).

A `Flow` is a list of `Step`s. Each step shows a prompt, with options when it
offers a choice, reads the answer (a parser raises `Invalid` with a message in
Vietnamese), and says which step comes next. Where the user is lives in the
turn's state (`ChatState.flow`), so a flow survives a restart and `kill -9`.

The options of a step travel as choice ids `f:<step>:<value>`: a button pressed
on an old prompt, or a number typed after the list changed, names a step that
is no longer current and is refused, never read as an answer to another step. So
is a value the current step does not offer now (on Telegram anyone can send any
button data): a text step takes only what is typed, through its parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from content.normalize import fold
from handlers import choices as ch
from handlers import texts
from handlers.events import Choice, Reply
from storage.state import ChatState

FINISH = "__finish"
CANCEL = "__cancel"
BACK = "__back"
CANCEL_SURE = "__cancel_sure"  # "Hủy phiếu" after "are you sure?"
KEEP = "__keep"  # "Tiếp tục soạn"


class Invalid(Exception):
    """The answer cannot be used; the message says why and what to type instead."""


# Words typed for the usual answers (folded), shared by every form so they do not drift apart.
YES = ("co", "co a", "vang", "phai", "dung", "dong y")
NO = ("khong", "ko", "k", "khong phai")
SEND = ("gui", "gui di", "dong y", "ok")
CONFIRM = (*SEND, "xac nhan", "co")  # "Gửi" under a summary to confirm


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    words: tuple[str, ...] = ()  # other ways to type it ("gui", "dong y")


@dataclass(frozen=True)
class Step:
    name: str
    prompt: Callable[[FlowData], str]
    # A choice step offers options; a text step parses what was typed.
    options: Callable[[FlowData], list[Option]] | None = None
    parse: Callable[[FlowData, str], Any] | None = None
    # Where to go once answered: a step name, FINISH or CANCEL; None means the next step.
    after: Callable[[FlowData, Any], str | None] | None = None
    # A choice step that also collects: files sent at it, or typed text that is none of its
    # options (an addition to a report). Each keeps what it got in the values and returns
    # a note; the step is shown again under it until an option moves on.
    take_files: Callable[[FlowData, tuple], str] | None = None
    take_text: Callable[[FlowData, str], str] | None = None
    # A choice step whose answer may also be typed (another name than the one offered):
    # text that names no option is read by this parser (raising Invalid) as the answer.
    typed: Callable[[FlowData, str], Any] | None = None
    # The short form of the prompt, shown under what the step just took (a file): the whole
    # prompt after every photo of an album would fill the screen.
    again: Callable[[FlowData], str] | None = None


@dataclass
class FlowValues:
    """What a flow collects, typed: a subclass per flow, a field per step (named as the step:
    the engine sets the answer of step "due" in the field `due`) and per value the flow is
    started with; None is "not answered yet". Stored as a dict of the fields answered (a
    None is left out, so the stored draft shows what was taken); a key no field has is
    dropped when read."""

    @classmethod
    def load(cls, data: dict | None) -> FlowValues:
        fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
        return cls(**{k: v for k, v in (data or {}).items() if k in fields})

    def dump(self) -> dict:
        fields = self.__dataclass_fields__  # type: ignore[attr-defined]
        return {k: getattr(self, k) for k in fields if getattr(self, k) is not None}


def _set(values: dict | FlowValues, name: str, value: Any) -> None:
    if isinstance(values, FlowValues):
        setattr(values, name, value)
    else:
        values[name] = value


@dataclass
class FlowData:
    """What a flow has collected so far (its FlowValues, or a dict for a flow without its own
    type yet), plus the turn (for prompts that count or look something up, e.g. how many
    people an announcement will reach)."""

    values: Any
    user_name: str | None = None
    ctx: Any = None


@dataclass(frozen=True)
class Flow:
    name: str
    title: str  # what the user is doing, for "Đã hủy {title}."
    steps: list[Step]
    # Called when the last step is answered: the replies (and notices, through the context).
    finish: Callable[[Any, FlowData], list[Reply]]
    # When it says so (a draft with a story in it), "Hủy" asks before throwing the work away.
    confirm_cancel: Callable[[FlowData], bool] | None = None
    # An officers' flow (a review, an export, an answer for the Office): rights are checked
    # at every step, so one removed from ADMIN_IDS meanwhile cannot finish it.
    officers_only: bool = False
    # What it collects, typed (a FlowValues subclass); None: a plain dict.
    values: type[FlowValues] | None = None

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)


@dataclass
class FlowState:
    name: str
    step: str
    values: Any = field(default_factory=dict)  # the flow's FlowValues, or a dict
    history: list[str] = field(default_factory=list)
    cancel_asked: bool = False  # "Hủy" asked "are you sure?" and waits for the answer

    @classmethod
    def load(cls, data: dict | None, kind: type[FlowValues] | None = None) -> FlowState | None:
        if not isinstance(data, dict) or "name" not in data or "step" not in data:
            return None
        raw = dict(data.get("values") or {})
        # Stored among the values before it had its own key.
        asked = bool(data.get("cancel_asked") or raw.pop("_cancel_asked", False))
        return cls(name=data["name"], step=data["step"], values=kind.load(raw) if kind else raw,
                   history=list(data.get("history") or []), cancel_asked=asked)

    def dump(self) -> dict:
        values = self.values.dump() if isinstance(self.values, FlowValues) else self.values
        out = {"name": self.name, "step": self.step, "values": values, "history": self.history}
        return {**out, "cancel_asked": True} if self.cancel_asked else out


def choice_id(step: str, value: str) -> str:
    return ch.FLOW_OPTION.encode(step, value)


class FlowEngine:
    """Runs the registered flows against a turn's state."""

    def __init__(self, flows: list[Flow], is_officer: Callable[[str, str], bool] | None = None,
                 names: Callable[[str, list[str]], list[int]] | None = None):
        self.flows = {f.name: f for f in flows}
        self.is_officer = is_officer or (lambda _c, _u: False)
        # Which of some options a typed text names, read as questions are (content/naming.py).
        self.names = names

    def _named(self, text: str, folded: str, options: list[Option]) -> list[Option]:
        said = [" ".join((o.label, *o.words)) for o in options]
        found = [options[i] for i in self.names(text, said)] if self.names else []
        if not found and len(folded) >= 3:
            # Part of a label, as typed ("tay ninh" for the units that hold it).
            found = [o for o in options if f" {folded} " in f" {fold(o.label)} "]
        return found

    # --- state -----------------------------------------------------------------
    def active(self, state: ChatState) -> tuple[Flow, FlowState] | None:
        data = state.flow
        flow = self.flows.get(data.get("name")) if isinstance(data, dict) else None  # type: ignore[arg-type]
        fs = FlowState.load(data, flow.values if flow else None)
        if fs is None or fs.name not in self.flows or self.flows[fs.name].step(fs.step) is None:
            return None
        return self.flows[fs.name], fs

    def start(self, ctx: Any, name: str, values: dict | FlowValues | None = None, at: str | None = None,
              history: bool = True, note: str | None = None) -> list[Reply]:
        """Begin `name` at its first step, or at `at`: with `history`, the steps before it
        were prefilled and "quay lại" still reaches them; without, they do not apply."""
        flow = self.flows[name]
        if flow.values is not None:
            values = values if isinstance(values, FlowValues) else flow.values.load(values)
        else:
            values = dict(values or {})  # type: ignore[arg-type]
        fs = FlowState(name=name, step=at or flow.steps[0].name, values=values)
        if at and history:
            fs.history = [s.name for s in flow.steps[: flow.steps.index(flow.step(at))]]  # type: ignore[arg-type]
        ctx.state.flow = fs.dump()
        return [self.prompt(ctx, note)]

    def prompt(self, ctx: Any, note: str | None = None, only: list[Option] | None = None,
               short: bool = False) -> Reply:
        """The current step's question, with its options (or `only` these of them), "Quay lại"
        and "Hủy"; `short`: its short form, where the step has one."""
        flow, fs = self.active(ctx.state)  # type: ignore[misc]
        step = flow.step(fs.step)
        assert step is not None
        data = FlowData(fs.values, ctx.user_name, ctx)
        text = (step.again if short and step.again else step.prompt)(data)
        if only is not None and note:
            text = note  # "which of these?" is the question now
        elif note:
            text = f"{note}\n\n{text}"
        options = only if only is not None else (step.options(data) if step.options else [])
        choices = [Choice(choice_id(step.name, o.value), o.label) for o in options]
        if step.options is None and not ctx.caps.buttons:
            # A typed answer is expected ("1" may be the answer itself): no numbered list,
            # the words for going back or cancelling instead.
            hint = texts.FLOW_TEXT_HINT_BACK if fs.history else texts.FLOW_TEXT_HINT
            return Reply(f"{text}\n\n{hint}")
        if fs.history:
            choices.append(Choice(choice_id(step.name, BACK), texts.FLOW_BACK))
        choices.append(Choice(choice_id(step.name, CANCEL), texts.FLOW_CANCEL))
        return Reply(text, choices)

    def allowed(self, ctx: Any) -> bool:
        """Whether the person may go on with the active flow (an officers' flow needs an officer now)."""
        current = self.active(ctx.state)
        return current is None or not current[0].officers_only or self.is_officer(ctx.event.channel,
                                                                                   ctx.event.user_id)

    def expects_text(self, state: ChatState) -> bool:
        """Whether the current step wants typed text (so "1" is an answer, not a pick)."""
        current = self.active(state)
        if current is None:
            return False
        step = current[0].step(current[1].step)
        # While "are you sure?" is asked, "1" picks from that question.
        return step is not None and step.options is None and not current[1].cancel_asked

    def reads_questions(self, state: ChatState) -> bool:
        """Whether text that names none of the current step's options is read as a question
        (a step that takes typed text as its answer or as an addition does not)."""
        current = self.active(state)
        step = current[0].step(current[1].step) if current else None
        return step is not None and step.options is not None and step.take_text is None and step.typed is None

    def takes_typed(self, state: ChatState) -> bool:
        """Whether the current step, though it offers options, takes a typed answer too."""
        current = self.active(state)
        step = current[0].step(current[1].step) if current else None
        return step is not None and step.typed is not None

    def accepts_files(self, state: ChatState) -> bool:
        current = self.active(state)
        step = current[0].step(current[1].step) if current else None
        return step is not None and step.take_files is not None

    # --- input -----------------------------------------------------------------
    def on_files(self, ctx: Any, attachments: tuple) -> list[Reply]:
        """Files sent at a step that collects them."""
        flow, fs = self.active(ctx.state)  # type: ignore[misc]
        step = flow.step(fs.step)
        assert step is not None and step.take_files is not None
        note = step.take_files(FlowData(fs.values, ctx.user_name, ctx), attachments)
        ctx.state.flow = fs.dump()
        return [self.prompt(ctx, note, short=True)]

    def on_choice(self, ctx: Any, choice: str) -> list[Reply]:
        """A pressed button or picked number whose id is `f:<step>:<value>`. Button data can
        be forged on Telegram: only a value the current step offers now is taken."""
        step_name, value = ch.FLOW_OPTION.decode(choice) or ("", "")
        value = value or ""
        current = self.active(ctx.state)
        if current is None:
            return [Reply(texts.FLOW_STALE_NONE)]
        flow, fs = current
        if step_name != fs.step:
            return [self.prompt(ctx, texts.FLOW_STALE)]
        if value == CANCEL:
            return self.cancel(ctx)
        asked = fs.cancel_asked
        if value == CANCEL_SURE and asked:
            return self.cancel(ctx, sure=True)
        if value == KEEP and asked:
            fs.cancel_asked = False
            ctx.state.flow = fs.dump()
            return [self.prompt(ctx)]
        if value == BACK:
            return self.back(ctx)
        if not self._offers(ctx, flow.step(fs.step), fs, value):  # type: ignore[arg-type]
            return [self.prompt(ctx, texts.FLOW_NOT_OFFERED)]
        return self._accept(ctx, value)

    @staticmethod
    def _offers(ctx: Any, step: Step, fs: FlowState, value: str) -> bool:
        """Whether `value` is one of the options the step offers as it stands now (a text
        step offers none: what it takes is typed, and goes through its parser)."""
        if step.options is None:
            return False
        return any(o.value == value for o in step.options(FlowData(fs.values, ctx.user_name, ctx)))

    def on_text(self, ctx: Any, text: str) -> list[Reply] | None:
        """The typed answer to the current step; None when the step offers options and
        the text is none of them (the caller may treat it as a question)."""
        flow, fs = self.active(ctx.state)  # type: ignore[misc]
        step = flow.step(fs.step)
        assert step is not None
        data = FlowData(fs.values, ctx.user_name, ctx)
        if step.options is not None:
            folded = " ".join(fold(text).strip(" .!").split())
            options = step.options(data)
            for o in options:
                if folded == fold(o.label) or any(folded == w or folded.startswith(w + " ")
                                                  for w in map(fold, o.words)):
                    return self._accept(ctx, o.value)
            # Words that name one option ("bk ttg", "tiêu chí 2.1", "gò dầu"): that one;
            # words that fit several: which of them.
            fitting = self._named(text, folded, options)
            if len(fitting) == 1:
                return self._accept(ctx, fitting[0].value)
            if len(fitting) > 1:
                return [self.prompt(ctx, texts.FLOW_WHICH.format(text=texts.clip(text.strip(), 60)), only=fitting)]
            if step.typed is not None:
                try:
                    return self._accept(ctx, step.typed(data, text))
                except Invalid as exc:
                    return [self.prompt(ctx, str(exc))]
            if step.take_text is not None:
                note = step.take_text(data, text)
                ctx.state.flow = fs.dump()
                return [self.prompt(ctx, note)]
            return None
        assert step.parse is not None
        try:
            value = step.parse(data, text)
        except Invalid as exc:
            return [self.prompt(ctx, str(exc))]
        return self._accept(ctx, value)

    def cancel(self, ctx: Any, sure: bool = False) -> list[Reply]:
        current = self.active(ctx.state)
        if current is not None and not sure:
            flow, fs = current
            data = FlowData(fs.values, ctx.user_name, ctx)
            if flow.confirm_cancel and flow.confirm_cancel(data) and not fs.cancel_asked:
                fs.cancel_asked = True
                ctx.state.flow = fs.dump()
                return [Reply(texts.FLOW_CANCEL_CONFIRM.format(title=flow.title),
                              [Choice(choice_id(fs.step, CANCEL_SURE), texts.FLOW_CANCEL_SURE),
                               Choice(choice_id(fs.step, KEEP), texts.FLOW_KEEP)])]
        ctx.state.flow = None
        title = current[0].title if current else ""
        return [Reply(texts.FLOW_CANCELLED.format(title=title), [ch.menu()])]

    def back(self, ctx: Any) -> list[Reply]:
        flow, fs = self.active(ctx.state)  # type: ignore[misc]
        if not fs.history:
            return [self.prompt(ctx, texts.FLOW_AT_FIRST_STEP)]
        fs.step = fs.history.pop()
        ctx.state.flow = fs.dump()
        return [self.prompt(ctx)]

    def _accept(self, ctx: Any, value: Any) -> list[Reply]:
        flow, fs = self.active(ctx.state)  # type: ignore[misc]
        step = flow.step(fs.step)
        assert step is not None
        fs.cancel_asked = False
        _set(fs.values, step.name, value)
        data = FlowData(fs.values, ctx.user_name, ctx)
        nxt = step.after(data, value) if step.after else None
        if nxt is None:
            index = flow.steps.index(step)
            nxt = flow.steps[index + 1].name if index + 1 < len(flow.steps) else FINISH
        if nxt == CANCEL:
            return self.cancel(ctx)
        if nxt == FINISH:
            ctx.state.flow = None
            return flow.finish(ctx, data)
        if nxt != fs.step:
            fs.history.append(fs.step)
        fs.step = nxt
        ctx.state.flow = fs.dump()
        return [self.prompt(ctx)]


def text_between(low: int, high: int, what: str) -> Callable[[FlowData, str], str]:
    """A parser for free text of a sensible length."""

    def parse(_data: FlowData, text: str) -> str:
        text = text.strip()
        if len(text) < low:
            raise Invalid(texts.FLOW_TOO_SHORT.format(what=what, low=low))
        if len(text) > high:
            raise Invalid(texts.FLOW_TOO_LONG.format(what=what, length=f"{len(text):,}".replace(",", "."),
                                                     high=f"{high:,}".replace(",", ".")))
        return text

    return parse
