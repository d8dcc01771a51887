"""The choice codec (handlers/choices.py): every button id is built and read through one
codec per kind, declared in the feature that owns it (handlers/<feature>/choices.py), and
nothing else in handlers/ spells one out."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from handlers import choices as ch
from handlers import commands
from handlers.deadlines import choices as dc
from handlers.flows import NO, YES
from handlers.office import choices as oc
from handlers.qa import choices as qc
from handlers.reports import choices as rc

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"
# Where codecs are declared: the conversation's own (handlers/choices.py) and each feature's.
DECLARATIONS = sorted(HANDLERS.rglob("choices.py"))


def _declared() -> dict[str, ch.Codec]:
    out = {}
    for path in DECLARATIONS:
        name = ".".join(path.relative_to(HANDLERS.parent).with_suffix("").parts)
        for attr, value in vars(importlib.import_module(name)).items():
            if isinstance(value, ch.Codec):
                out[f"{name}.{attr}"] = value
    return out


def test_ids_are_the_ones_buttons_already_carry():
    """Buttons sent before this codec existed (in chats, in stored outboxes) still read."""
    assert oc.OFFICE_REPLY.encode(12) == "oq:reply:12" and oc.OFFICE_REPLY.decode("oq:reply:12") == (12,)
    assert dc.ACK.encode(3, 1767225600) == "rem:ack:3:1767225600"
    assert dc.ACK.decode("rem:ack:3") == (3, None)  # the occurrence may be left out
    assert rc.APPROVE.encode(7) == "r:ok:7" and rc.REJECT.decode("r:no:7") == (7,)
    assert ch.FLOW_OPTION.encode("confirm", "send") == "f:confirm:send"
    assert ch.FLOW_OPTION.decode("f:unit:unit:go-dau") == ("unit", "unit:go-dau")  # the last field takes the rest
    assert ch.MENU.encode() == "menu" and ch.MENU.decode("menu") == ()
    assert qc.ENTRY.encode("hs-bk-ttg") == "e:hs-bk-ttg"


def test_forged_ids_decode_to_nothing():
    for forged in ("oq:reply:abc", "oq:reply:", "oq:reply", "oq:reply:-1", "r:ok:1:2", "rem:ack:x:1", "menu:x"):
        kind = ch.kind_of(forged, oc.OFFICE_REPLY, rc.APPROVE, dc.ACK, ch.MENU)
        assert kind is None or kind.decode(forged) is None, forged
    assert rc.APPROVE.matches("r:ok:abc")  # still the review's: it says the choice is stale


def test_every_kind_has_its_own_prefix():
    codecs = [c for name, c in _declared().items() if c is not dc.DEADLINE_ANY]
    assert len(codecs) > 30  # the features' declarations are read too
    assert len({c.prefix for c in codecs}) == len(codecs)


def test_every_kind_of_a_feature_goes_to_its_feature():
    """Each kind a feature declares is read by a route of the registry (a main-menu item by
    its command), and the first route that matches an id is the one of its own kind."""
    menus = {c.menu[0] for c in commands.REGISTRY if c.menu}
    for name, codec in _declared().items():
        if name.startswith("handlers.choices."):
            continue  # the conversation's own kinds: read by the conversation itself
        sample = codec.encode(*(1 if kind is int else "x" for kind in codec.fields))
        route = commands.choice_route(sample)
        assert route is not None or sample in menus, name
        assert route is None or route.codec is codec or codec is dc.DEADLINE_ANY, name


def test_officers_kinds_are_refused_to_staff_and_forms_are_not_stacked():
    officers = {r.codec.prefix for r in commands.CHOICES if r.officer}
    assert officers == {"oq:reply", "oq:open", "r:review", "r:export", "r:ok", "r:more", "r:no",
                        "dl:new", "dl:edit", "dl:cancel"}
    assert commands.starts_flow(rc.REPORT_START.encode())  # the main-menu item of /gui
    assert commands.starts_flow(dc.DEADLINE_EDIT.encode(3)) and not commands.starts_flow(dc.DEADLINES.encode())


def test_yes_and_no_share_no_word():
    assert not set(YES) & set(NO)


def test_no_choice_id_is_spelt_outside_the_codecs():
    """No "r:ok:"-style literal, no partition(":") of a choice, outside the codecs'
    declarations (handlers/choices.py, handlers/<feature>/choices.py)."""
    literal = re.compile(r"""["'](?:menu|pg:more|m:\w+|[tedf]:|oq:\w*|rem:\w*|dl:\w*|r:\w*|p:\w*)["':{]""")
    parse = re.compile(r"""(?:choice|c\.id|arg|rest)\w*\.(?:partition|split|removeprefix)\(""")
    assert (HANDLERS / "conversation.py").exists() and len(DECLARATIONS) >= 6
    for path in sorted(HANDLERS.rglob("*.py")):  # the feature packages too (handlers/reports/...)
        if path in DECLARATIONS or path.relative_to(HANDLERS).as_posix() == "commands.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            assert not literal.search(code), f"{path}:{n}: {line.strip()}"
            assert not parse.search(code), f"{path}:{n}: {line.strip()}"


def test_the_declarations_load_nothing_behind_them():
    """The routing table reads every feature's codecs: a declaration imports the codec alone,
    so answering a question (`python -m bot ask`) does not load the features' storage."""
    for path in DECLARATIONS:
        if path.parent == HANDLERS:
            continue
        imported = re.findall(r"^(?:from|import) (\S+)", path.read_text(encoding="utf-8"), re.M)
        assert set(imported) <= {"__future__", "handlers.choices"}, (path, imported)
