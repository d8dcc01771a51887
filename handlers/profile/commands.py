"""The staff profile's commands and the choices it reads (handlers/command.py)."""

from __future__ import annotations

from handlers.command import ChoiceRoute, Command, feature, on_choice
from handlers.profile import choices as pc

COMMANDS = (
    Command("profile", ("hoso",), feature("profiles", "show"), words=True,
            shown="/hoso, /xoahoso", help="xem, sửa hoặc xóa hồ sơ của đồng chí",
            telegram=((9, "hoso", "Hồ sơ của tôi (họ tên, đơn vị)"),)),
    Command("delete_profile", ("xoahoso",), feature("erasure", "start"), words=True, starts_flow=True),
)
CHOICES = (
    ChoiceRoute(pc.PROFILE_EDIT, on_choice("profiles", "edit"), starts_flow=True),
    ChoiceRoute(pc.PROFILE_DELETE, on_choice("erasure", "start", with_choice=False), starts_flow=True),
)
