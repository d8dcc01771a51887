"""The command registry: every command, each declared once in its feature's package
(handlers/<feature>/commands.py, the kit in handlers/command.py); the conversation's own
ones (menu, questions, cancel, help, who am I, reload, console sign-in) here.

The router (handlers/conversation.py), the main menu, /trogiup and the Telegram command list
(bot/telegram/channel.py) all read `REGISTRY`; the router hands a choice to the feature that
reads it through `CHOICES`. The features' `commands` modules import no feature (their handlers
reach it through the conversation when called), so answering a question alone
(`python -m bot ask`) does not load the features and their storage.

Officer commands are refused to staff by the router, before `run`; the feature's service
checks again (a console or a flow reaches it without the router).
"""

from __future__ import annotations

from handlers import choices as ch
from handlers import texts
from handlers.announcements import commands as announcements
from handlers.command import OFFICER, STAFF, ChoiceRoute, Command, feature
from handlers.deadlines import commands as deadlines
from handlers.office import commands as office
from handlers.profile import commands as profile
from handlers.qa import commands as qa
from handlers.reports import commands as reports

__all__ = ["OFFICER", "STAFF", "Command", "REGISTRY", "CHOICES"]

# The conversation's own commands (handlers/basic_commands.py): the first three open the
# help text, the others close each audience's part of it.
FIRST = (
    Command("menu", ("start", "menu", "batdau"), feature("basics", "welcome"), words=True,
            shown="/start hoặc /menu", help="menu chính",
            telegram=((1, "start", "Bắt đầu và mở menu chính"),
                      (2, "menu", "Menu chính: hỏi đáp, tiêu chí, hình thức, hồ sơ"))),
    Command("ask", ("hoi",), feature("basics", "ask", with_rest=True), help="đặt câu hỏi",
            telegram=((3, "hoi", "Đặt câu hỏi về thi đua, khen thưởng"),)),
    Command("cancel", ("huy", "cancel"), feature("basics", "nothing_to_cancel"), words=True,
            help="hủy thao tác đang làm (gõ \"quay lại\" để về bước trước)",
            telegram=((4, "huy", "Hủy thao tác đang làm"),)),
)
LAST = (
    Command("whoami", ("toi",), feature("basics", "whoami"),
            help="mã của đồng chí trên trợ lý (gửi Văn phòng khi cần)"),
    Command("help", ("trogiup", "help"), feature("basics", "help"), words=True, help="hướng dẫn này",
            menu=(ch.HELP.encode(), texts.MENU_HELP), telegram=((10, "trogiup", "Hướng dẫn sử dụng"),)),
    Command("reload", ("reload", "napnoidung"), feature("basics", "reload"), OFFICER,
            help="nạp lại nội dung đã sửa"),
    Command("console_login", ("dangnhap",), feature("basics", "console_login"), OFFICER,
            help="liên kết đăng nhập trang Văn phòng trên trình duyệt (dùng một lần)", refusal=texts.CONSOLE_NOT_OFFICER),
)
# The features, in the order of the help text: everyone's commands first, then the officers'.
FEATURES = (office, reports, profile, deadlines, announcements)


def _placed(declared: tuple[Command, ...]) -> list[Command]:
    """The commands in the order declared, each one that names a command it goes `after` moved there."""
    out = [c for c in declared if c.after is None]
    for c in declared:
        if c.after is not None:
            out.insert(next(i for i, o in enumerate(out) if o.name == c.after) + 1, c)
    return out


_ALL = _placed((*FIRST, *(c for f in FEATURES for c in f.COMMANDS), *LAST))
REGISTRY: tuple[Command, ...] = (*(c for c in _ALL if not c.officer), *(c for c in _ALL if c.officer))
# Which feature a choice goes to: the codec of each kind (handlers/<feature>/choices.py), the
# handler of the feature that owns it, and whether it is officers' and starts a form.
CHOICES: tuple[ChoiceRoute, ...] = tuple(r for f in (*FEATURES, qa) for r in f.CHOICES)

BY_NAME = {c.name: c for c in REGISTRY}
BY_SLASH = {s: c for c in REGISTRY for s in c.slash}
BY_MENU = {c.menu[0]: c for c in REGISTRY if c.menu}
WORD_COMMANDS = frozenset(c.name for c in REGISTRY if c.words)
# Words of content/commands.yaml the routes read themselves (not commands of their own).
ROUTE_WORDS = frozenset({"back", "details"})
if len(BY_SLASH) != sum(len(c.slash) for c in REGISTRY) or len(BY_NAME) != len(REGISTRY):
    raise RuntimeError("two commands share a name")


def choice_route(choice: str | None) -> ChoiceRoute | None:
    """The declaration of the kind of this choice id, well-formed or not (its feature reads it)."""
    return next((r for r in CHOICES if r.codec.matches(choice)), None)


def starts_flow(choice: str | None) -> bool:
    """Whether the choice starts a form: a kind declared so, or the menu item of such a command."""
    route = choice_route(choice)
    command = BY_MENU.get(choice or "")
    return (route is not None and route.starts_flow) or (command is not None and command.starts_flow)


def by_slash(text: str) -> tuple[Command | None, str]:
    """The command of "/name rest" ("/hoi@bot câu hỏi"), and the rest."""
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
    rest = text.split(maxsplit=1)[1] if " " in text else ""
    return BY_SLASH.get(name), rest


def help_text(officer: bool) -> str:
    """/trogiup: the guide and everyone's commands; an officer's has theirs too, staff never see them."""
    staff = "\n".join(line for c in REGISTRY if not c.officer and (line := c.help_line()))
    text = f"{texts.HELP_INTRO}\n\n{texts.HELP_COMMANDS}\n{staff}\n\n{texts.HELP_OUTRO}"
    if officer:
        officers = "\n".join(line for c in REGISTRY if c.officer and (line := c.help_line()))
        text += f"\n\n{texts.OFFICER_HELP_COMMANDS}\n{officers}"
    return text


def telegram_commands() -> list[tuple[str, str]]:
    """Telegram's command menu (setMyCommands): the commands everyone may use, as placed."""
    entries = sorted(e for c in REGISTRY if not c.officer for e in c.telegram)
    return [(name, description) for _place, name, description in entries]


def menu_items() -> list[tuple[str, str]]:
    """The commands' main-menu items (choice id, label), in the order declared."""
    return [c.menu for c in REGISTRY if c.menu]
