"""The ids of the buttons of deadlines and reminders (handlers/deadlines/flow.py,
handlers/deadlines/reminders.py), built and read through their codecs (handlers/choices.py)."""

from __future__ import annotations

from handlers.choices import Codec

ACK = Codec("rem:ack", (int, int), optional=1)  # + deadline id and occurrence: "Đã nộp" under a reminder
DEADLINES = Codec("m:deadlines")  # the deadlines (the main-menu item)
REMINDERS_ON, REMINDERS_OFF = Codec("dl:on"), Codec("dl:off")
NEW_DEADLINE = Codec("dl:new")
DEADLINE_ICS = Codec("dl:ics", (int,))  # + deadline id: its calendar file
DEADLINE_EDIT = Codec("dl:edit", (int,))  # + deadline id
DEADLINE_CANCEL = Codec("dl:cancel", (int,))  # + deadline id
DEADLINE_ANY = Codec("dl", (str,))  # any deadline choice, well-formed or not (the feature reads it)
