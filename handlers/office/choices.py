"""The ids of the buttons of questions to the Office (handlers/office/flow.py), built and
read through their codecs (handlers/choices.py)."""

from __future__ import annotations

from handlers.choices import Codec

ASK_OFFICE = Codec("oq:ask")  # the "Hỏi Văn phòng" button
OFFICE_REPLY = Codec("oq:reply", (int,))  # + question id: an officer's "Trả lời" button
OPEN_QUESTIONS = Codec("oq:open")  # the questions waiting for an answer (/cauhoi)
