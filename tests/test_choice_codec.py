"""The choice codec (handlers/choices.py): every button id is built and read through one
codec per kind, and nothing else in handlers/ spells one out."""

from __future__ import annotations

import re
from pathlib import Path

from handlers import choices as ch
from handlers.flows import NO, YES


def test_ids_are_the_ones_buttons_already_carry():
    """Buttons sent before this codec existed (in chats, in stored outboxes) still read."""
    assert ch.OFFICE_REPLY.encode(12) == "oq:reply:12" and ch.OFFICE_REPLY.decode("oq:reply:12") == (12,)
    assert ch.ACK.encode(3, 1767225600) == "rem:ack:3:1767225600"
    assert ch.ACK.decode("rem:ack:3") == (3, None)  # the occurrence may be left out
    assert ch.APPROVE.encode(7) == "r:ok:7" and ch.REJECT.decode("r:no:7") == (7,)
    assert ch.FLOW_OPTION.encode("confirm", "send") == "f:confirm:send"
    assert ch.FLOW_OPTION.decode("f:unit:unit:go-dau") == ("unit", "unit:go-dau")  # the last field takes the rest
    assert ch.MENU.encode() == "menu" and ch.MENU.decode("menu") == ()
    assert ch.ENTRY.encode("hs-bk-ttg") == "e:hs-bk-ttg"


def test_forged_ids_decode_to_nothing():
    for forged in ("oq:reply:abc", "oq:reply:", "oq:reply", "oq:reply:-1", "r:ok:1:2", "rem:ack:x:1", "menu:x"):
        kind = ch.kind_of(forged, ch.OFFICE_REPLY, ch.APPROVE, ch.ACK, ch.MENU)
        assert kind is None or kind.decode(forged) is None, forged
    assert ch.APPROVE.matches("r:ok:abc")  # still the review's: it says the choice is stale


def test_every_kind_has_its_own_prefix():
    codecs = [v for v in vars(ch).values() if isinstance(v, ch.Codec) and v is not ch.DEADLINE_ANY]
    assert len({c.prefix for c in codecs}) == len(codecs)


def test_yes_and_no_share_no_word():
    assert not set(YES) & set(NO)


def test_no_choice_id_is_spelt_outside_the_codecs():
    """No "r:ok:"-style literal, no partition(":") of a choice, outside handlers/choices.py."""
    literal = re.compile(r"""["'](?:menu|pg:more|m:\w+|[tedf]:|oq:\w*|rem:\w*|dl:\w*|r:\w*|p:\w*)["':{]""")
    parse = re.compile(r"""(?:choice|c\.id|arg|rest)\w*\.(?:partition|split|removeprefix)\(""")
    handlers = Path(__file__).resolve().parent.parent / "handlers"
    assert (handlers / "conversation.py").exists()
    for path in sorted(handlers.rglob("*.py")):  # the feature packages too (handlers/reports/...)
        if path.relative_to(handlers).as_posix() in ("choices.py", "commands.py"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            assert not literal.search(code), f"{path}:{n}: {line.strip()}"
            assert not parse.search(code), f"{path}:{n}: {line.strip()}"
