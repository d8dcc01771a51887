"""Deadlines and reminders: the chat side (/lich, /nhacnho, /hanmoi, /thongke) in flow, the
decisions callable outside a chat turn in service, the sending of due reminders in
reminders, its commands and the ids of its buttons in commands and choices. Announcements
to the same people are their own feature (handlers/announcements/).

Nothing is imported here, so importing one module does not load the others."""
