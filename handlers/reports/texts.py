"""What the bot says about good-example reports and the profile (Vietnamese)."""

from __future__ import annotations

# --- profile ---------------------------------------------------------------------------
PROFILE_TITLE = "khai hoặc sửa hồ sơ cán bộ"
PRIVACY_NOTICE = (
    "Lưu ý về dữ liệu cá nhân (Nghị định 13/2023/NĐ-CP): bot lưu họ tên, đơn vị, việc đồng chí có phải lãnh đạo "
    "đơn vị hay không, và các báo cáo đồng chí gửi (kể cả tệp đính kèm). Chỉ cán bộ phụ trách thi đua, khen thưởng "
    "của Văn phòng xem được các báo cáo; người khác không xem được. Đồng chí xem lại hồ sơ bằng /hoso và xóa bằng "
    "/xoahoso bất cứ lúc nào; báo cáo đã được duyệt hoặc không duyệt thì Văn phòng giữ làm hồ sơ thi đua."
)
INVITE_PROMPT = "Mời đồng chí nhập mã cán bộ do Văn phòng cung cấp (chỉ hỏi một lần):"
INVITE_WRONG = ("Mã chưa đúng (còn {left} lần thử trong một giờ). Đồng chí kiểm tra lại mã Văn phòng gửi, "
                "hoặc gõ «hủy» để dừng.")
INVITE_WRONG_LAST = "Mã chưa đúng."
INVITE_NOT_CHECKED = "Mã chưa được kiểm tra."
INVITE_LOCKED = ("Đồng chí đã nhập sai mã cán bộ {limit} lần nên tạm thời chưa nhập lại được. Mời đồng chí thử lại "
                 "sau {until}, hoặc liên hệ Văn phòng để được cấp lại mã. Gõ «hủy» để dừng.")
NAME_PROMPT = "Họ và tên đầy đủ của đồng chí là gì? (ví dụ: Nguyễn Văn An)"
NAME_WHAT = "Họ tên"
NAME_NEEDS_LETTERS = "Họ tên cần có chữ cái. Mời đồng chí gõ lại họ và tên đầy đủ."
UNIT_PROMPT = "Đồng chí công tác ở đơn vị nào?"
UNIT_MINE = "{name} (đơn vị của đồng chí)"
LEADER_PROMPT = "Đồng chí có phải lãnh đạo đơn vị không?"
LEADER_YES = "Có, tôi là lãnh đạo đơn vị"
LEADER_NO = "Không"
PROFILE_SHOW = (
    "Hồ sơ của đồng chí:\n"
    "- Họ tên: {name}\n"
    "- Đơn vị: {unit}\n"
    "- Lãnh đạo đơn vị: {leader}\n"
    "- Nhắc hạn: {reminders}\n\n"
    "{privacy}"
)
PROFILE_EMPTY = ("Đồng chí chưa khai hồ sơ. Hồ sơ (họ tên, đơn vị) được hỏi khi đồng chí gửi gương người tốt lần đầu, "
                 "hoặc chọn «Khai hồ sơ» dưới đây.")
PROFILE_NOT_SET = "chưa khai"
YES = "có"
NO = "không"
LEADER_UNKNOWN = "chưa cho biết (được hỏi khi bật nhắc hạn)"
REMINDERS_ON = "đang bật"
REMINDERS_OFF = "đang tắt"
EDIT_NAME = "Sửa họ tên"
EDIT_UNIT = "Sửa đơn vị"
EDIT_LEADER = "Sửa vai trò lãnh đạo"
FILL_PROFILE = "Khai hồ sơ"
DELETE_PROFILE = "Xóa hồ sơ"
PROFILE_SAVED = "Đã lưu hồ sơ của đồng chí."
DELETE_TITLE = "xóa hồ sơ"
# /xoahoso says before and after exactly what storage/erase.py removes and keeps; a line
# is shown only when there is something of its kind.
ERASE_ASK = "Xóa hồ sơ sẽ xóa hẳn khỏi máy chủ của bot:"
ERASE_DONE = "Đã xóa hồ sơ của đồng chí. Đã xóa hẳn khỏi máy chủ của bot:"
ERASE_PROFILE = "- họ tên, đơn vị, vai trò lãnh đạo (nhắc hạn cũng tắt);"
ERASE_REPORTS = ("- {count} báo cáo chưa được quyết định hoặc đã rút ({codes}), cùng diễn biến xử lý của "
                 "các báo cáo đó;")
ERASE_FILES = "- {count} tệp đồng chí đã gửi (ảnh, tài liệu), trừ tệp của báo cáo Văn phòng giữ lại;"
ERASE_OFFICE = "- {count} câu hỏi đồng chí gửi Văn phòng, cả câu đã được trả lời;"
ERASE_LOG = "- {count} câu hỏi đồng chí đã gõ cho bot;"
ERASE_ALWAYS = ("- tên Zalo/Telegram của đồng chí mà bot đã lưu, và nội dung các tin nhắn bot đã gửi có tên, báo "
                "cáo hoặc câu hỏi của đồng chí.")
ERASE_KEEP_REPORTS = ("Văn phòng giữ lại {count} báo cáo đã duyệt hoặc không duyệt ({codes}) làm hồ sơ thi đua: họ "
                      "tên, câu chuyện, tệp đính kèm và diễn biến xử lý của các báo cáo này không bị xóa.")
ERASE_KEEP_ALWAYS = ("Bot vẫn giữ mã tài khoản Zalo/Telegram của đồng chí (để trả lời khi đồng chí nhắn; tên Zalo/"
                     "Telegram được ghi lại nếu đồng chí nhắn tin tiếp) và các lần đồng chí báo «Đã nộp». Tin nhắn "
                     "đã hiện trong ứng dụng Zalo/Telegram của đồng chí và của cán bộ thì bot không xóa được.")
ERASE_SURE = "Đồng chí chắc chắn xóa?"
DELETE_YES = "Xóa hồ sơ"
DELETE_NO = "Giữ lại"
OFFICER_ERASED = ("Người gửi đã rút báo cáo {code} và yêu cầu xóa dữ liệu cá nhân: báo cáo đã bị xóa, không cần "
                  "duyệt nữa.")
NOTHING_TO_DELETE = "Đồng chí chưa có hồ sơ nào để xóa."

# --- submission --------------------------------------------------------------------------
REPORT_TITLE = "gửi gương người tốt, việc tốt"
REPORT_INTRO = ("Gửi gương người tốt, việc tốt: bot hỏi vài bước ngắn (của ai, tiêu chí nào, câu chuyện, thời gian, "
                "ảnh hoặc tài liệu nếu có). Gõ «quay lại» để về bước trước, /huy để hủy.")
STORY_PREFILLED = "Bot đã ghi lại câu chuyện đồng chí vừa kể vào phiếu; đồng chí xem và sửa ở bước cuối."
STORY_PREFILLED_NAME = ("Bot đã ghi lại câu chuyện đồng chí vừa kể và tên «{name}» vào phiếu; đồng chí xem và sửa ở "
                        "bước cuối.")
STORY_PREFILL_TOO_LONG = ("Câu chuyện đồng chí vừa kể dài {length} ký tự, quá mức {high} ký tự của phiếu nên chưa được "
                          "ghi vào; đến bước kể chuyện, đồng chí gửi bản ngắn gọn hơn (có thể sao chép tin vừa gửi "
                          "rồi rút bớt).")
SUBJECT_PROMPT = "Đồng chí muốn kể về ai?"
SUBJECT_NAMED_PROMPT = ("Câu chuyện kể về đồng chí {name}, đúng không? Nếu là người khác, đồng chí gõ họ tên người "
                        "đó.")
SUBJECT_NAMED_YES = "Đúng, kể về {name}"
SUBJECT_NAMED_OTHER = "Không, chọn lại (bản thân, tập thể...)"
SUBJECT_NAME_PROMPT = {
    "colleague": "Họ tên đồng chí được nêu gương là gì?",
    "collective": "Tên tập thể được nêu gương là gì? (ví dụ: Phòng 2, Tổ kiểm sát ...)",
}
SUBJECT_NAME_WHAT = "Tên"
SUBJECT_UNIT_PROMPT = "{who} thuộc đơn vị nào?"
SUBJECT_UNIT_WHO = {"colleague": "Đồng chí đó", "collective": "Tập thể đó"}
CRITERION_PROMPT = ("Thành tích này phù hợp nhất với tiêu chí hoặc đối tượng nào? (Các tiêu chí, đối tượng của Kế "
                    "hoạch 515/KH-VKS năm 2021 về phong trào thi đua phòng, chống dịch COVID-19; thành tích khác thì "
                    "chọn «Khác».)")
STORY_PROMPT = ("Mời đồng chí kể việc làm cụ thể: đã làm gì, ở đâu, kết quả ra sao (ít nhất 30 ký tự, tối đa "
                "4.000 ký tự).")
STORY_WHAT = "Câu chuyện"
WHEN_PROMPT = ("Việc đó diễn ra khi nào? Gõ ngày (ví dụ 15/3/2026), hoặc «hôm qua», «tuần trước», «tháng trước», "
               "«tháng 3/2026».")
WHEN_NOT_UNDERSTOOD = ("Bot chưa đọc được ngày «{text}». Mời đồng chí gõ theo dạng ngày/tháng/năm (ví dụ 15/3/2026), "
                       "hoặc «hôm qua», «tháng trước».")
WHEN_FUTURE = "Thời gian {date} còn ở phía trước. Mời đồng chí gõ ngày việc đã diễn ra."
WHEN_FUTURE_WORD = "«{text}» còn ở phía trước. Bot cần ngày việc đó đã diễn ra (ví dụ 15/3/2026, «hôm qua»)."
WHEN_TOO_OLD = "Ngày {date} quá xa. Mời đồng chí kiểm tra lại năm."
FILES_PROMPT = ("Đồng chí có ảnh hoặc tài liệu minh chứng không? Gửi ảnh, PDF, Word (DOCX) hoặc Excel (XLSX), tối đa "
                "{max_files} tệp, mỗi tệp không quá {max_mb} MB. Gửi xong chọn «Xong»; không có thì chọn «Không có tệp».")
FILES_PROMPT_PHOTOS = ("Đồng chí có ảnh minh chứng không? Gửi ảnh (JPEG, PNG; giấy tờ thì chụp ảnh từng trang), tối "
                       "đa {max_files} ảnh, mỗi ảnh không quá {max_mb} MB. Gửi xong chọn «Xong»; không có thì chọn "
                       "«Không có tệp».")
FILES_PROMPT_SOME = "Đã nhận {count}/{max_files} tệp: {names}."
FILES_AGAIN = "Đã có {count}/{max_files} tệp. Gửi tiếp nếu còn; gửi xong chọn «Xong, tiếp tục»."
FILES_DONE = "Xong, tiếp tục"
FILES_NONE = "Không có tệp"
FILE_KEPT = "Đã nhận tệp {name}."
FILE_TOO_LARGE = "Tệp {name} lớn quá (tối đa {max_mb} MB mỗi tệp), bot không nhận. Đồng chí gửi bản nhỏ hơn."
FILE_BAD_TYPE = ("Tệp {name} ({kind}) không thuộc loại bot nhận. Bot nhận ảnh JPEG, PNG và tệp PDF, DOCX, XLSX; "
                 "đồng chí chuyển sang một trong các loại đó rồi gửi lại.")
FILE_UNREADABLE = ("Nội dung tệp {name} không phải ảnh JPEG, PNG hay tệp PDF, DOCX, XLSX (có thể tệp đã bị đổi tên "
                   "hoặc bị hỏng), bot không nhận. Đồng chí kiểm tra lại rồi gửi.")
FILE_UNAVAILABLE = "Bot không tải được tệp {name} từ ứng dụng nhắn tin. Đồng chí gửi lại tệp đó."
FILE_TOO_MANY = "Đã đủ {max_files} tệp; tệp {name} không được nhận. Chọn «Xong» để tiếp tục."
FILE_NO_FETCH = "Kênh này không gửi được tệp cho bot; đồng chí chọn «Không có tệp» và gửi tệp cho Văn phòng sau."
FILE_NAMELESS = "không tên"
SUMMARY = (
    "Mời đồng chí kiểm tra phiếu trước khi gửi:\n"
    "- Người gửi: {submitter} ({submitter_unit})\n"
    "- Gương: {subject} ({subject_unit})\n"
    "- Tiêu chí: {criterion}\n"
    "- Thời gian: {when}\n"
    "- Tệp đính kèm: {files}\n"
    "- Câu chuyện: {story}"
)
CONFIRM_SEND = "Gửi báo cáo"
CONFIRM_EDIT = "Sửa một mục"
EDIT_WHICH = "Đồng chí muốn sửa mục nào?"
EDIT_SUBJECT = "Người/tập thể được nêu gương"
EDIT_CRITERION = "Tiêu chí"
EDIT_STORY = "Câu chuyện"
EDIT_WHEN = "Thời gian"
EDIT_FILES = "Tệp đính kèm"
SENT = ("Đã gửi báo cáo, mã {code}. Văn phòng sẽ xem và báo lại kết quả qua tin nhắn này. Xem các báo cáo đã gửi "
        "bằng /baocaocuatoi.")
SENT_NO_OFFICER = ("Đã gửi báo cáo, mã {code}. Hiện chưa có cán bộ phụ trách nào nhận thông báo qua bot; đồng chí "
                   "báo Văn phòng mã này để được xem xét.")
NO_FILES = "không có"
ALREADY_SENT = ("Báo cáo này đã gửi rồi, mã {code}; không cần gửi lại. Xem các báo cáo đã gửi bằng /baocaocuatoi.")

# --- officers --------------------------------------------------------------------------
OFFICER_NEW = "Báo cáo gương người tốt mới {code} từ {submitter} ({channel}):\n\n{card}"
CARD = (
    "{code} · gửi ngày {created} · {status}\n"
    "- Người gửi: {submitter} ({submitter_unit})\n"
    "- Gương: {subject} ({subject_unit})\n"
    "- Tiêu chí: {criterion}\n"
    "- Thời gian: {when}\n"
    "- Tệp: {files}\n"
    "- Câu chuyện: {story}"
)
CARD_ADDITIONS = "- Bổ sung: {additions}"
APPROVE = "Duyệt"
ASK_MORE = "Yêu cầu bổ sung"
REJECT = "Không duyệt"
SKIP = "Để sau, xem báo cáo khác"
REVIEW_TITLE = "duyệt báo cáo"
REVIEW_DECIDE = "Đồng chí quyết định thế nào với báo cáo {code}?"
REVIEW_NONE = "Không có báo cáo nào chờ duyệt."
REVIEW_NO_OTHER = "Không còn báo cáo nào khác chờ duyệt."
REVIEW_MORE_LEFT = "Còn {count} báo cáo chờ duyệt."
REVIEW_NEXT = "Duyệt báo cáo tiếp theo"
AWARD_PROMPT = "Đơn vị đề xuất hình thức khen thưởng nào cho {code}?"
AWARD_NONE = "Chưa đề xuất"
QUESTION_PROMPT = "Đồng chí cần người gửi bổ sung gì cho báo cáo {code}? (gõ nội dung yêu cầu)"
QUESTION_WHAT = "Nội dung yêu cầu"
REASON_PROMPT = "Lý do không duyệt báo cáo {code}? (bắt buộc; người gửi sẽ đọc lý do này)"
REASON_WHAT = "Lý do"
DECIDED = {
    "approved": "Đã duyệt báo cáo {code}{award}. Người gửi đã được báo.",
    "needs_info": "Đã gửi yêu cầu bổ sung cho báo cáo {code}. Người gửi đã được báo.",
    "rejected": "Đã ghi «không duyệt» cho báo cáo {code}. Người gửi đã được báo kèm lý do.",
}
AWARD_SUFFIX = ", đề xuất {award}"
ALREADY_DECIDED = "Báo cáo {code} đã được {who} xử lý lúc {when} ({status}); thao tác này không thực hiện nữa."
ALREADY_WITHDRAWN = "Báo cáo {code} đã được người gửi rút lại; không cần duyệt nữa."
NO_SUCH_REPORT = "Không tìm thấy báo cáo này."
FILES_ON_ZALO = ("Tệp đính kèm ({count}): {links}\nMỗi liên kết chỉ dùng được một lần, hết hạn lúc {expires} "
                 "({minutes} phút). Tệp có dữ liệu cá nhân: đồng chí không chuyển tiếp liên kết cho người khác.")
FILES_LINK_LINE = "\n- {name}: {url}"
FILES_NO_LINKS = ("Báo cáo có {count} tệp đính kèm; Zalo không nhận tệp từ bot. Đồng chí xem tệp trên Telegram, hoặc "
                  "cán bộ quản trị đặt PUBLIC_URL để bot gửi liên kết tải một lần.")

# --- the submitter hears ---------------------------------------------------------------
TO_SUBMITTER = {
    "approved": "Báo cáo {code} ({subject}) đã được duyệt{award}. Cảm ơn đồng chí đã gửi gương người tốt, việc tốt.",
    "needs_info": ("Báo cáo {code} ({subject}) cần bổ sung. Nội dung cần bổ sung: {note}\n\n"
                   "Chọn «Bổ sung» để gửi thêm nội dung hoặc tệp."),
    "rejected": "Báo cáo {code} ({subject}) không được duyệt. Lý do: {note}",
}
TO_SUBMITTER_AWARD = "; đơn vị đề xuất: {award}"
SIGNED = "(Cán bộ xử lý: {who})"
ADD_MORE = "Bổ sung"
MORE_TITLE = "bổ sung báo cáo"
MORE_PROMPT = ("Báo cáo {code} cần bổ sung: {note}\n\nMời đồng chí gõ nội dung bổ sung và/hoặc gửi "
               "{kinds}. Xong chọn «Gửi bổ sung».")
MORE_KINDS = "tệp (ảnh, PDF, DOCX, XLSX)"
MORE_KINDS_PHOTOS = "ảnh (giấy tờ thì chụp ảnh từng trang)"
# A file the messenger did not hand over (Zalo gives a bot images only), at a step that takes files.
FILE_NOT_DELIVERED = ("Ứng dụng nhắn tin không chuyển loại tệp này cho bot; qua kênh này bot chỉ nhận được ảnh. "
                      "Đồng chí chụp ảnh giấy tờ rồi gửi ảnh, hoặc gửi tệp cho Văn phòng sau.")
FILE_NOT_READ = "Bot chưa đọc được tin nhắn này. Đồng chí gửi ảnh hoặc tệp PDF, DOCX, XLSX."
MORE_GOT = "Đã có: {what}."
MORE_SEND = "Gửi bổ sung"
MORE_EMPTY = "Chưa có nội dung hay tệp nào để bổ sung. Mời đồng chí gõ nội dung hoặc gửi tệp."
MORE_TEXT_ITEM = "nội dung ({length} ký tự)"
MORE_FILES_ITEM = "{count} tệp"
MORE_SENT = "Đã gửi phần bổ sung cho báo cáo {code}; báo cáo trở lại chờ duyệt."
MORE_NOT_NEEDED = "Báo cáo {code} hiện không cần bổ sung ({status})."
OFFICER_MORE = "{submitter} đã bổ sung báo cáo {code}:\n{text}\n(Tệp mới: {files})\n\nXem và duyệt bằng /duyet."

MENU_MY_REPORTS = "Báo cáo của tôi"

# --- status ------------------------------------------------------------------------------
MY_NONE = "Đồng chí chưa gửi báo cáo nào. Gửi gương người tốt, việc tốt bằng /gui."
MY_HEAD = "Các báo cáo đồng chí đã gửi (mới nhất trước):"
MY_LINE = "\n\n{code} · {created} · {subject} · {status}"
MY_NOTE = "\n  Ý kiến của Văn phòng: {note}"
WITHDRAW = "Rút báo cáo {code}"
WITHDRAWN = "Đã rút báo cáo {code}."
WITHDRAW_CONFIRM = ("Rút báo cáo {code} ({subject})? Sau khi rút, Văn phòng không xét báo cáo này nữa; muốn gửi lại "
                    "thì gửi báo cáo mới.")
WITHDRAW_YES = "Rút báo cáo {code}"
WITHDRAW_NO = "Không rút"
OFFICER_WITHDRAWN = "Người gửi đã rút báo cáo {code} ({subject}); không cần duyệt nữa."
MY_AWARD = "\n  Hình thức đề xuất: {award}"
CANNOT_WITHDRAW = "Báo cáo {code} không rút được nữa ({status})."
STATUS = {"pending": "chờ duyệt", "needs_info": "cần bổ sung", "approved": "đã duyệt", "rejected": "không duyệt",
          "withdrawn": "đã rút"}
SUBJECT_SELF = "bản thân người gửi"

# --- exports -----------------------------------------------------------------------------
EXPORT_TITLE = "xuất báo cáo"
EXPORT_PROMPT = "Đồng chí cần xuất tệp nào?"
# The export formats, as `python -m bot export reports --format` names them.
EXPORT_FORMATS = ("csv", "xlsx", "list", "docx")
EXPORT_KINDS = {
    "list": "Danh sách đề nghị khen thưởng (Excel)",
    "docx": "Bản tóm tắt thành tích (Word)",
    "xlsx": "Tất cả báo cáo (Excel)",
    "csv": "Tất cả báo cáo (CSV)",
}
EXPORT_READY = "Tệp {name}: {count} báo cáo."
EXPORT_LINK = ("Tệp {name} ({count} báo cáo): {url}\nLiên kết chỉ dùng được một lần, hết hạn lúc {expires} ({minutes} "
               "phút). Tệp có dữ liệu cá nhân của mọi người gửi báo cáo: đồng chí không chuyển tiếp liên kết này cho "
               "người khác; ai có liên kết cũng tải được tệp.")
EXPORT_NO_FILES = ("Kênh này không nhận tệp từ bot. Cán bộ quản trị lấy tệp trên máy chủ bằng lệnh:\n"
                   "python -m bot export reports --format {kind} --out {name}\n"
                   "hoặc đặt PUBLIC_URL (webhook) để bot gửi liên kết tải một lần.")
EXPORT_EMPTY = "Chưa có báo cáo nào phù hợp để xuất ({what})."
