"""Deadlines and reminders: the chat side (/lich, /nhacnho, /hanmoi, /thongbao, /thongke) in
flow, the decisions callable outside a chat turn in service, and the sending of due
reminders and announcements in reminders.

Nothing is imported here, so importing one module does not load the others."""
