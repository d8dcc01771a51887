"""What announcements say (Vietnamese, with full diacritics)."""

TITLE = "gửi thông báo"
ASK_AUDIENCE = "Gửi thông báo cho ai?"
ALL = "Mọi người bật nhắc hạn"
ASK_TEXT = "Nội dung thông báo:"
WHAT = "Nội dung thông báo"
CONFIRM = "Gửi thông báo sau tới {count} người?\n«{text}»"
NOBODY = "Chưa có ai trong nhóm này bật nhắc hạn, nên không có ai để gửi."
SEND = "Gửi"
HEADER = "Thông báo của Văn phòng VKSND tỉnh:\n\n{text}"
QUEUED = "Đã xếp {count} tin vào hàng gửi (thông báo số {id}). Gõ /thongke để xem đã gửi được bao nhiêu."
COUNT_CHANGED = ("Số người nhận đã thay đổi: lúc đồng chí xem là {expected}, nay là {count}. Thông báo "
                 "chưa được gửi; đồng chí xem lại rồi bấm gửi lần nữa.")
