"""Announcements: an officer's message to everyone with reminders on, or to one unit's. The
chat form (/thongbao) in flow, the sending callable outside a chat turn (the console's
"Gửi thông báo", and /thongke's count of what was sent) in service, its command in commands
and its texts in texts.

Nothing is imported here, so importing one module does not load the others."""
