"""The Office handoff's commands and the choices it reads (handlers/command.py)."""

from __future__ import annotations

from handlers.command import OFFICER, ChoiceRoute, Command, feature, on_choice
from handlers.office import choices as oc

COMMANDS = (
    Command("ask_office", ("hoivanphong", "hoivp"), feature("office", "start_ask", with_rest=True), words=True,
            starts_flow=True, help="gửi câu hỏi tới Văn phòng",
            telegram=((5, "hoivanphong", "Gửi câu hỏi tới Văn phòng"),)),
    Command("office_questions", ("cauhoi",), feature("office", "open_questions"), OFFICER,
            help="các câu hỏi gửi Văn phòng đang chờ trả lời (gõ «trả lời <số>» để trả lời câu số đó)"),
)
CHOICES = (
    ChoiceRoute(oc.ASK_OFFICE, on_choice("office", "start_ask", with_choice=False), starts_flow=True),
    ChoiceRoute(oc.OFFICE_REPLY, on_choice("office", "start_answer"), OFFICER, starts_flow=True),
    ChoiceRoute(oc.OPEN_QUESTIONS, on_choice("office", "open_questions", with_choice=False), OFFICER),
)
