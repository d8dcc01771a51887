"""Every sentence the bot says, in one place, so the Office can review the wording."""

BOT_NAME = "Trợ lý Thi đua - Khen thưởng"

WELCOME = (
    "Kính chào đồng chí{name}! Tôi là {bot}, hỗ trợ cán bộ, công chức ngành Kiểm sát "
    "tra cứu về phong trào thi đua và công tác khen thưởng.\n\n"
    "Đồng chí có thể gõ câu hỏi bằng lời của mình (có dấu hoặc không dấu đều được), "
    "ví dụ: \"hồ sơ Bằng khen Thủ tướng cần mấy bộ?\", hoặc chọn một mục dưới đây."
)
MAIN_MENU = "Đồng chí cần tra cứu nội dung nào?"

MENU_QA = "Hỏi đáp"
MENU_CRITERIA = "Tiêu chí thi đua"
MENU_FORMS = "Hình thức khen thưởng"
MENU_DOSSIER = "Hồ sơ - thủ tục"
MENU_REPORT = "Gửi gương người tốt"
MENU_DEADLINES = "Lịch nhắc hạn"
MENU_HELP = "Trợ giúp"
BACK_TO_MENU = "Menu chính"
MORE_TOPICS = "Các chủ đề khác"

ASK_PROMPT = (
    "Mời đồng chí gõ câu hỏi. Ví dụ:\n"
    "- Hồ sơ đề nghị Huân chương Lao động gồm những gì?\n"
    "- Tiêu chuẩn Bằng khen của Viện trưởng VKSND tối cao?\n"
    "- Phong trào thi đua đặc biệt bắt đầu từ ngày nào?"
)

# /trogiup (handlers/commands.py adds each command's line from its declaration).
HELP_INTRO = (
    "Hướng dẫn sử dụng:\n"
    "- Gõ câu hỏi bằng lời của đồng chí, có dấu hoặc không dấu; viết tắt quen dùng như BK TTg, HCLĐ, "
    "VKSTC, TĐKT đều hiểu được.\n"
    "- Chọn chủ đề để xem các nội dung theo nhóm.\n"
    "- Mỗi câu trả lời đều ghi nguồn (số văn bản, mục) để đồng chí đối chiếu.\n"
    "- Khi được hỏi lại \"Ý đồng chí là...\", hãy chọn một mục (trên Zalo: trả lời bằng số thứ tự)."
)
HELP_COMMANDS = "Các lệnh:"
HELP_OUTRO = (
    "Nội dung do Văn phòng VKSND tỉnh (thường trực Hội đồng Thi đua, khen thưởng) biên soạn. "
    "Câu hỏi chưa có trong dữ liệu được ghi lại để bổ sung."
)
# Above the officers' commands, shown under the help to officers (ADMIN_IDS) only.
OFFICER_HELP_COMMANDS = "Lệnh của cán bộ Văn phòng:"
WHO_AM_I = (
    "Mã của đồng chí trên trợ lý này: {id}\n"
    "Khi cần được giao quyền cán bộ Văn phòng (duyệt báo cáo, trả lời câu hỏi), đồng chí gửi đúng mã này "
    "cho người quản trị trợ lý để ghi vào ADMIN_IDS."
)
WHO_AM_I_OFFICER = "Mã của đồng chí trên trợ lý này: {id}\nĐồng chí đang có quyền cán bộ Văn phòng (gõ /trogiup để xem các lệnh)."
TOPIC_INTRO = "{title}\n{description}\n\nChọn nội dung đồng chí muốn xem:"
TOPIC_EMPTY = "Chủ đề này hiện chưa có nội dung."
SOURCE_LINE = "Nguồn: {source}"
# A short answer's choice that opens the whole answer; with several answers, each names its own.
SEE_DETAILS = "Xem chi tiết"
SEE_DETAILS_OF = "Xem chi tiết: {title}"
NO_DETAILS = ("Chưa có câu trả lời nào để xem chi tiết. Đồng chí gõ câu hỏi, hoặc chọn một chủ đề dưới đây:")
CLARIFY = "Ý đồng chí là nội dung nào dưới đây?"
CLARIFY_TEXT_HINT = "Nếu không phải, đồng chí hãy hỏi lại cụ thể hơn."
FALLBACK = (
    "Xin lỗi đồng chí, tôi chưa có thông tin để trả lời chính xác câu hỏi này trong tài liệu về thi đua, "
    "khen thưởng hiện có.\n\n"
    "Đồng chí có thể xem các chủ đề dưới đây, hoặc liên hệ Văn phòng VKSND tỉnh (thường trực Hội đồng "
    "Thi đua, khen thưởng) để được giải đáp. Câu hỏi đã được ghi lại để bổ sung nội dung."
)
# A fallback on a subject the content knows one line about (the 2022 Law).
FALLBACK_NOTED = (
    "Tài liệu hiện có chưa có nội dung để trả lời chính xác câu hỏi này.\n\n{note}\n\n"
    "Đồng chí có thể chọn «Hỏi Văn phòng» để gửi câu hỏi, hoặc xem các chủ đề dưới đây. "
    "Câu hỏi đã được ghi lại để bổ sung nội dung."
)
EMPTY_MESSAGE = "Đồng chí chưa nhập nội dung. Mời đồng chí gõ câu hỏi hoặc chọn một mục trong menu."
NOT_TEXT = (
    "Tôi chỉ đọc được tin nhắn dạng chữ. Mời đồng chí gõ câu hỏi, ví dụ: "
    "\"tiêu chuẩn Bằng khen Thủ tướng\"."
)
TOO_LONG = (
    "Tin nhắn dài quá ({length} ký tự). Đồng chí vui lòng hỏi ngắn gọn, tối đa {limit} ký tự, "
    "mỗi lần một câu hỏi."
)
UNSUPPORTED = {
    "sticker": "Cảm ơn đồng chí! Tôi chưa hiểu được nhãn dán (sticker); mời đồng chí gõ câu hỏi bằng chữ.",
    "voice": "Tôi chưa nghe được tin nhắn thoại; mời đồng chí gõ câu hỏi bằng chữ.",
    "unsupported": "Tôi chưa đọc được loại tin nhắn này; mời đồng chí gõ câu hỏi bằng chữ.",
    "photo": "Tôi đã nhận ảnh, nhưng hiện chưa có thao tác nào cần ảnh. Mời đồng chí gõ câu hỏi bằng chữ.",
}
# A reply sent late (bot/delivery.py). The cause is not known there (the bot stopped, the
# database or the messenger was away...): it says only that the answer is late.
LATE_ANSWER = "Xin lỗi đồng chí, câu trả lời cho câu hỏi «{question}» đến muộn:"
LATE_ANSWER_NO_QUESTION = "Xin lỗi đồng chí, câu trả lời sau đây đến muộn:"
PHOTO_CAPTION_READ = "Tôi đã nhận ảnh (hiện chưa có thao tác nào cần lưu ảnh) và xin trả lời phần chữ kèm theo:"
THANKS = "Rất vui được hỗ trợ đồng chí. Khi cần, đồng chí cứ gõ câu hỏi hoặc chọn /menu."
# A number typed that is not on the list just shown (or with no list shown).
NUMBER_OUTSIDE = "Danh sách vừa rồi không có số {number}; đồng chí chọn số {valid}:"
NUMBER_NO_LIST = "Hiện không có danh sách nào để chọn số {number}. Mời đồng chí gõ câu hỏi hoặc chọn trong menu:"
# Several questions in one message: said of one the content does not answer.
PART_NOT_FOUND = (
    "Về câu «{question}»: tôi chưa có thông tin trong tài liệu hiện có; đồng chí có thể hỏi Văn phòng (/hoivanphong)."
)
# Short replies to small talk, by its kind (content/smalltalk.yaml); never logged as unanswered questions.
SMALL_TALK = {
    "thanks": THANKS,
    "agree": "Dạ. Đồng chí cần tra cứu thêm nội dung nào cứ gõ câu hỏi hoặc chọn /menu.",
    "decline": "Dạ vâng. Khi cần, đồng chí cứ nhắn cho tôi.",
    "goodbye": "Chào đồng chí, chúc đồng chí một ngày làm việc hiệu quả! Khi cần, đồng chí cứ nhắn cho tôi.",
    "apology": "Không sao ạ. Đồng chí cứ gõ lại câu hỏi, tôi sẵn sàng hỗ trợ.",
    "laughter": "😊 Đồng chí cần tra cứu gì thêm cứ gõ câu hỏi nhé.",
    "praise": "Cảm ơn đồng chí đã động viên! Đồng chí cần tra cứu gì thêm cứ gõ câu hỏi nhé.",
    "request": "Dạ, tôi sẵn sàng. Đồng chí gõ câu hỏi về thi đua, khen thưởng, tôi trả lời theo tài liệu hiện có.",
}
NOTHING_TO_CANCEL = "Hiện không có thao tác nào đang làm dở. Đồng chí có thể gõ câu hỏi bất cứ lúc nào."
STALE_CHOICE = "Lựa chọn này đã cũ hoặc không còn. Mời đồng chí chọn lại từ menu."
RELOADED = "Đã nạp lại nội dung: {entries} mục, {topics} chủ đề."
RELOAD_FAILED = "Nội dung mới có lỗi, vẫn giữ nội dung cũ:\n{problems}"
# The one refusal of every officers' command and choice (/duyet, /xuat, /cauhoi, /hanmoi, /thongbao,
# /thongke, /reload, "Trả lời" under an Office question).
NOT_ADMIN = (
    "Chức năng này chỉ dành cho cán bộ Văn phòng phụ trách thi đua, khen thưởng. Nếu đồng chí được giao "
    "việc này, gõ /toi để lấy mã của mình và gửi người quản trị trợ lý."
)
INTERNAL_ERROR = (
    "Xin lỗi đồng chí, hệ thống vừa gặp sự cố khi xử lý tin nhắn. Đồng chí vui lòng thử lại sau ít phút; "
    "nếu vẫn lỗi, xin báo Văn phòng VKSND tỉnh."
)
SLOW_DOWN = "Đồng chí gửi nhanh quá, xin chờ vài giây rồi gửi tiếp ạ."

# --- flows (multi-step conversations) ---------------------------------------------
FLOW_BACK = "Quay lại"
FLOW_CANCEL = "Hủy"
FLOW_CANCELLED = "Đã hủy {title}. Đồng chí có thể gõ câu hỏi hoặc chọn một mục trong menu."
FLOW_STALE = "Lựa chọn đó thuộc một bước trước, không dùng được nữa. Mời đồng chí trả lời bước hiện tại:"
FLOW_NOT_OFFERED = "Lựa chọn đó không có ở bước này nên chưa được ghi nhận. Mời đồng chí trả lời bước hiện tại:"
FLOW_STALE_NONE = "Lựa chọn này đã cũ (thao tác đó đã xong hoặc đã hủy). Đồng chí có thể gõ câu hỏi hoặc mở /menu."
FLOW_AT_FIRST_STEP = "Đây đã là bước đầu tiên."
FLOW_TOO_SHORT = "{what} ngắn quá (cần ít nhất {low} ký tự). Mời đồng chí viết cụ thể hơn."
FLOW_TOO_LONG = "{what} dài quá ({length} ký tự, tối đa {high}). Mời đồng chí viết gọn lại."
FLOW_RESUME = "Đồng chí đang {title} dở. Mời đồng chí tiếp tục (hoặc gõ /huy để hủy):"
FLOW_PICK_ONE = "Mời đồng chí chọn một trong các mục dưới đây."
# A long list a page at a time (handlers/pages.py).
PAGE_MORE = "Xem thêm ({left} mục nữa)"
PAGE_FIRST = "Xem lại từ đầu danh sách"
PAGE_HEAD = "Các mục {first}-{last} trong {total} (gõ tên mục cũng được):"
ASIDE_DETAILS = "(Gõ «chi tiết» để xem đầy đủ.)"
FLOW_WHICH = "«{text}» khớp với nhiều mục; đồng chí chọn mục nào?"
FLOW_NUMBER_OUTSIDE = "Danh sách dưới đây không có số {number}; đồng chí chọn một số từ 1 đến {count}."
FLOW_CANCEL_CONFIRM = "Đồng chí muốn hủy việc {title}? Những gì đã nhập sẽ bị bỏ."
FLOW_CANCEL_SURE = "Hủy, bỏ những gì đã nhập"
FLOW_KEEP = "Không hủy, tiếp tục"
FLOW_EMPTY = "Đồng chí chưa nhập nội dung. Mời đồng chí trả lời bước này:"
FLOW_TEXT_HINT = "(Gõ «hủy» để hủy.)"
FLOW_TEXT_HINT_BACK = "(Gõ «quay lại» để về bước trước, «hủy» để hủy.)"
FILE_MISSING = "(Không gửi được tệp {names}: tệp không còn trong kho lưu trữ, xin báo cán bộ quản trị.)"

# --- questions to the Office ("Hỏi Văn phòng") -------------------------------------
MENU_ASK_OFFICE = "Hỏi Văn phòng"
OFFICE_TITLE = "gửi câu hỏi tới Văn phòng"
OFFICE_ASK_PROMPT = (
    "Đồng chí gõ câu hỏi muốn gửi Văn phòng VKSND tỉnh (thường trực Hội đồng Thi đua, khen thưởng). "
    "Văn phòng sẽ trả lời đồng chí ngay trong cuộc trò chuyện này."
)
OFFICE_WHAT = "Câu hỏi"
OFFICE_CONFIRM = "Tôi sẽ gửi câu hỏi sau tới Văn phòng VKSND tỉnh:\n«{question}»\n\nĐồng chí xác nhận gửi?"
OFFICE_SEND = "Gửi"
OFFICE_EDIT = "Sửa câu hỏi"
OFFICE_SENT = (
    "Đã gửi câu hỏi (số {qid}) tới Văn phòng. Khi Văn phòng trả lời, tôi sẽ chuyển câu trả lời đến "
    "đồng chí ngay tại đây."
)
OFFICE_SENT_NO_OFFICER = (
    "Đã ghi nhận câu hỏi (số {qid}). Hiện chưa có cán bộ Văn phòng nhận câu hỏi qua trợ lý này; "
    "đồng chí vui lòng liên hệ trực tiếp Văn phòng VKSND tỉnh nếu cần gấp."
)
OFFICE_NEW = "Câu hỏi mới số {qid} gửi Văn phòng, từ {asker} ({channel}):\n«{question}»"
OFFICE_REPLY = "Trả lời"
OFFICE_REPLY_TITLE = "trả lời câu hỏi số {qid}"
OFFICE_ANSWER_PROMPT = "Câu hỏi số {qid} của {asker}:\n«{question}»\n\nĐồng chí gõ nội dung trả lời:"
OFFICE_ANSWER_WHAT = "Nội dung trả lời"
OFFICE_ANSWER_CONFIRM = "Gửi trả lời sau tới {asker}?\n«{answer}»"
OFFICE_ANSWER_EDIT = "Sửa trả lời"
OFFICE_ANSWER_SENT = "Đã gửi trả lời câu hỏi số {qid} tới {asker}."
OFFICE_ALREADY_ANSWERED = (
    "Câu hỏi số {qid} đã được {who} trả lời lúc {when}, nên trả lời của đồng chí không được gửi.\n"
    "Nội dung đã trả lời: «{answer}»"
)
OFFICE_NO_SUCH_QUESTION = "Không tìm thấy câu hỏi số {qid}. Gõ /cauhoi để xem các câu hỏi đang chờ trả lời."
# Under a new question's notice when others still wait: the older ones stay reachable.
OFFICE_NEW_MORE = "Đang có {count} câu hỏi chờ trả lời: gõ /cauhoi để xem, hoặc «trả lời <số>» để trả lời câu số đó."
OFFICE_OPEN_TITLE = "Câu hỏi gửi Văn phòng đang chờ trả lời ({count}), cũ nhất trước:"
OFFICE_OPEN_LINE = "Số {qid} - {asker} ({channel}, {when}):\n«{question}»"
OFFICE_OPEN_MORE = "... và {count} câu mới hơn (gõ «trả lời <số>» để trả lời một câu bất kỳ)."
OFFICE_OPEN_HINT = "Chọn câu muốn trả lời, hoặc gõ «trả lời <số>»."
OFFICE_OPEN_CHOICE = "Trả lời câu số {qid} ({asker})"
OFFICE_OPEN_NONE = "Không có câu hỏi nào gửi Văn phòng đang chờ trả lời."
OFFICE_OPEN_LEFT = "Còn {count} câu hỏi đang chờ trả lời."
OFFICE_OPEN_SHOW = "Xem câu hỏi đang chờ"
OFFICE_ANSWER_TO_STAFF = "Văn phòng VKSND tỉnh trả lời câu hỏi của đồng chí:\n«{question}»\n\n{answer}"
OFFICE_ANSWER_SIGNED = "Người trả lời: {who}."
OFFICE_RECIPIENT_BLOCKED = (
    "Không gửi được trả lời câu hỏi số {qid} tới {asker}: người hỏi đã chặn hoặc rời khỏi trợ lý. "
    "Trả lời vẫn được lưu lại."
)
SOMEONE = "một cán bộ"

# --- deadline reminders -------------------------------------------------------------
REMINDER = "Nhắc hạn: {title}\nHạn: {when} ({left})."
REMINDER_LEFT_DAYS = "còn {days} ngày"
REMINDER_LEFT_TOMORROW = "ngày mai"
REMINDER_LEFT_TODAY = "hôm nay"
REMINDER_UNIT_WIDE = ("Hạn này dành cho lãnh đạo đơn vị: một lãnh đạo báo «Đã nộp» là tính cho cả đơn vị, "
                      "các lãnh đạo khác của đơn vị không được nhắc nữa.")
REMINDER_STOP = "Không muốn nhận nhắc hạn nữa, đồng chí gõ /nhacnho để tắt."
REMINDER_DONE = "Đã nộp"
REMINDER_GUIDE = "Xem hướng dẫn"
REMINDER_ACKED = "Đã ghi nhận đồng chí đã nộp «{title}». Tôi sẽ không nhắc hạn này nữa."
REMINDER_ACKED_UNIT = "Đã ghi nhận đơn vị đã nộp «{title}». Các lãnh đạo khác của đơn vị cũng không được nhắc nữa."
REMINDER_ACKED_BEFORE = "Đồng chí đã báo nộp «{title}» trước đó."
REMINDER_NOT_YOURS = "Hạn «{title}» không thuộc diện nhắc đồng chí nên không cần báo đã nộp."
REMINDER_NOT_LEADER = ("Hạn «{title}» dành cho lãnh đạo đơn vị: chỉ lãnh đạo của đơn vị báo đã nộp được "
                       "(vai trò lãnh đạo khai trong /hoso).")
REMINDER_NOTHING_TO_ACK = "Hiện không có hạn nào đang nhắc đồng chí."
REMINDER_WHICH = "Đồng chí đã nộp hạn nào? Chọn một hạn dưới đây."
REMINDER_WHICH_ITEM = "{title} (hạn {when})"
REMINDER_STALE = "Hạn này đã hết hoặc đã được hủy."
WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]

# --- deadlines in chat (/lich, /nhacnho, /hanmoi, /thongbao, /thongke) ---------------
DEADLINES_TITLE = "Các hạn sắp tới liên quan đến đồng chí:"
DEADLINES_NONE = "Hiện không có hạn nào sắp tới liên quan đến đồng chí."
DEADLINES_LINE = "• {title}\n   Hạn: {when} ({left})"
# After the title of a deadline deadlines.yaml ships as an example (never sent).
EXAMPLE_MARK = " (ví dụ)"
DEADLINES_REMINDERS_ON = "Nhắc hạn đang BẬT: tôi sẽ nhắc trước mỗi hạn."
DEADLINES_REMINDERS_OFF = "Nhắc hạn đang TẮT. Chọn «Bật nhắc hạn» để được nhắc trước mỗi hạn."
DEADLINES_NO_FILE = "(Trên Zalo tôi chưa gửi được tệp lịch; đồng chí ghi ngày giờ trên vào lịch điện thoại.)"
DEADLINES_ACKS = "   Đã báo nộp: {names}"
TURN_ON = "Bật nhắc hạn"
TURN_OFF = "Tắt nhắc hạn"
ICS_FOR = "Tải lịch: {title}"
ICS_CAPTION = "Lịch «{title}». Mở tệp để thêm vào lịch của điện thoại."
CANCEL_DEADLINE = "Hủy hạn: {title}"
EDIT_DEADLINE = "Đổi ngày: {title}"
NEW_DEADLINE = "Thêm hạn mới"
REMINDERS_ON = "Đã bật nhắc hạn. Tôi sẽ nhắc đồng chí trước mỗi hạn liên quan (không nhắc từ {quiet})."
REMINDERS_OFF = "Đã tắt nhắc hạn. Gõ /nhacnho để bật lại."
PROFILE_TITLE = "cho biết đơn vị để nhận nhắc hạn"
PROFILE_UNIT = "Đồng chí công tác ở đơn vị nào?"  # followed by the `note` of units.yaml, when it has one
PROFILE_LEADER = "Đồng chí có phải lãnh đạo đơn vị (được nhắc các hạn dành cho lãnh đạo đơn vị) không?"
YES = "Có"
NO = "Không"
PRIVACY_NOTE = "Tôi chỉ lưu đơn vị và chức vụ lãnh đạo (có/không) để biết hạn nào liên quan; chỉ cán bộ Văn phòng xem được."
NEW_TITLE = "thêm hạn mới"
NEW_ASK_TITLE = "Tên hạn (ví dụ: Nộp báo cáo sơ kết 6 tháng):"
NEW_WHAT_TITLE = "Tên hạn"
NEW_ASK_DUE = "Hạn chót là ngày giờ nào? Gõ theo dạng ngày/tháng/năm giờ:phút, ví dụ 15/12/2026 17:00."
NEW_BAD_DUE = "Chưa đọc được ngày giờ «{text}». Gõ theo dạng 15/12/2026 17:00."
NEW_PAST_DUE = "Ngày giờ {when} đã qua. Hạn mới phải ở tương lai."
NEW_ASK_AUDIENCE = "Nhắc cho ai?"
AUDIENCE_ALL = "Mọi người bật nhắc hạn"
AUDIENCE_LEADERS = "Lãnh đạo các đơn vị"
AUDIENCE_UNIT = "Một đơn vị"
NEW_ASK_UNIT = "Đơn vị nào?"
NEW_ASK_OFFSETS = (
    "Nhắc trước bao nhiêu ngày? Gõ các số ngày cách nhau bởi dấu phẩy (0 là đúng ngày), ví dụ 7, 3, 1, 0; "
    "hoặc gõ «mặc định» để nhắc trước 7, 3, 1 ngày và đúng ngày."
)
NEW_BAD_OFFSETS = "«{text}» không phải danh sách số ngày. Gõ ví dụ 7, 3, 1, 0 (mỗi số từ 0 đến 365)."
NEW_ASK_NOTE = "Ghi chú kèm tin nhắc (tùy chọn); gõ «bỏ qua» nếu không có:"
NEW_CONFIRM = "Tạo hạn sau?\n{title}\nHạn: {when}\nNhắc: {audience}; trước {offsets} ngày, lúc 08:00\n{note}Hiện có {count} người sẽ được nhắc."
CREATE = "Tạo hạn"
NEW_CREATED = "Đã tạo hạn số {id}: {title}."
CANCEL_TITLE = "hủy hạn"
CANCEL_CONFIRM = "Hủy hạn «{title}» ({when})? Các tin nhắc chưa gửi sẽ không gửi nữa."
CANCEL_YES = "Hủy hạn này"
CANCEL_DONE = "Đã hủy hạn «{title}»."
EDIT_TITLE = "đổi ngày của hạn"
EDIT_ASK_DUE = "Ngày giờ mới cho «{title}» (hiện là {when})? Gõ theo dạng 15/12/2026 17:00."
EDIT_CONFIRM = "Đổi hạn «{title}» sang {when}? Các tin nhắc chưa gửi sẽ theo ngày mới."
EDIT_YES = "Đổi ngày"
EDIT_DONE = "Đã đổi hạn «{title}» sang {when}."
STATS_TITLE = "Tình hình gửi nhắc hạn và thông báo:"
STATS_DEADLINE = "- {title} ({when}): đã gửi {sent}, chờ gửi {pending}, lỗi {failed}, bỏ qua {skipped}; báo nộp {acks}"
STATS_ANNOUNCEMENT = "- Thông báo số {id} ({count} người): đã gửi {sent}, chờ gửi {pending}, lỗi {failed}"
STATS_NONE = "Chưa có hạn hay thông báo nào."
NO_UNITS = "Danh sách đơn vị (content/units.yaml) đang trống; Văn phòng cần cập nhật trước."


def clip(text: str, limit: int = 300) -> str:
    """What someone typed, quoted back within `limit` characters."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."

# /dangnhap from someone who is not an officer (handlers/console_login.py)
CONSOLE_NOT_OFFICER = ("Trang Văn phòng chỉ dành cho cán bộ Văn phòng phụ trách thi đua - khen thưởng, nên bot chưa gửi "
               "liên kết đăng nhập cho đồng chí. Đồng chí vẫn hỏi đáp, gửi gương người tốt, việc tốt và xem lịch "
               "nhắc hạn ngay tại đây. Nếu đồng chí được giao việc này, gõ /toi để lấy mã của mình và gửi người quản "
               "trị trợ lý.")
