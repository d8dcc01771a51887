"""What the console says, in Vietnamese (the templates hold the page's own headings)."""

SIGNED_OUT_TITLE = "Đồng chí chưa đăng nhập"
SIGNED_OUT_TEXT = ("Để vào trang Văn phòng, đồng chí gửi lệnh /dangnhap cho bot (Telegram hoặc Zalo) và mở liên kết "
                   "bot gửi lại. Liên kết dùng được một lần trong 10 phút. Phiên đăng nhập hết hạn sau 8 giờ không "
                   "dùng.")
NOT_OFFICER_TITLE = "Không có quyền truy cập"
NOT_OFFICER_TEXT = ("Trang này chỉ dành cho cán bộ Văn phòng phụ trách thi đua - khen thưởng. Nếu đồng chí cần "
                    "truy cập, đề nghị liên hệ Văn phòng.")
CSRF_TITLE = "Yêu cầu không hợp lệ"
CSRF_TEXT = "Trang đã cũ hoặc yêu cầu không đến từ trang Văn phòng. Đồng chí tải lại trang rồi thử lại."
LINK_GONE_TITLE = "Liên kết không còn hiệu lực"
LINK_GONE_TEXT = ("Mỗi liên kết đăng nhập chỉ dùng được một lần, trong 10 phút. Đồng chí gửi lại lệnh /dangnhap "
                  "cho bot để nhận liên kết mới.")
OFFER_TITLE = "Đăng nhập trang Văn phòng"
OFFER_TEXT = ("Bấm nút dưới đây để đăng nhập. Liên kết chỉ dùng được một lần và hết hiệu lực sau {minutes} phút "
              "nữa; đồng chí không chuyển liên kết này cho người khác.")
OFFER_BUTTON = "Đăng nhập"
NOT_FOUND_TITLE = "Không tìm thấy"
NOT_FOUND_TEXT = "Không có mục này, hoặc mục đã bị xoá."
FAILED_TITLE = "Chưa mở được trang"
FAILED_TEXT = "Máy chủ đang gặp sự cố. Đồng chí thử lại sau ít phút hoặc báo quản trị hệ thống."

STATUS = {"pending": "Chờ duyệt", "needs_info": "Cần bổ sung", "approved": "Đã duyệt", "rejected": "Không duyệt",
          "withdrawn": "Đã rút"}
SUBJECT = {"self": "Bản thân người gửi", "colleague": "Đồng nghiệp", "collective": "Tập thể"}
EVENT = {"submitted": "Gửi báo cáo", "asked_more": "Đề nghị bổ sung", "added": "Bổ sung", "approved": "Duyệt",
         "rejected": "Không duyệt", "withdrawn": "Rút lại"}
OUTCOME = {"answer": "trả lời được", "clarify": "hỏi lại cho rõ", "fallback": "không trả lời"}
AUDIENCE_ALL = "Mọi người"
AUDIENCE_LEADERS = "Lãnh đạo đơn vị"
NO_AWARD = "Chưa đề xuất"
EXAMPLE = "ví dụ, chưa gửi"
EXPORT_EMPTY_TITLE = "Không có báo cáo nào để xuất"
EXPORT_EMPTY_TEXT = ("Không có báo cáo nào phù hợp với bộ lọc đã chọn (Danh sách đề nghị khen thưởng và Bản tóm tắt "
                     "thành tích chỉ gồm báo cáo đã duyệt). Đồng chí quay lại trang Xuất và chọn bộ lọc khác.")
EXPORT_KINDS = {
    "xlsx": ("Tất cả báo cáo (Excel)", "Mỗi báo cáo một dòng, đủ các cột."),
    "csv": ("Tất cả báo cáo (CSV)", "Như tệp Excel, dạng văn bản UTF-8."),
    "list": ("Danh sách đề nghị khen thưởng (Excel)", "Báo cáo đã duyệt, theo hình thức đề xuất, kèm số bộ hồ sơ."),
    "docx": ("Bản tóm tắt thành tích (Word)", "Mỗi báo cáo đã duyệt một bản dự thảo."),
}
# An outbox row's status, as the reminders page says it.
DELIVERY = {"pending": "Chờ gửi", "sending": "Đang gửi", "sent": "Đã gửi", "failed": "Gửi lỗi",
            "blocked": "Người nhận chặn bot", "skipped": "Bỏ qua (quá hạn gửi)", "cancelled": "Huỷ (đã nộp hoặc hạn đổi)"}
FAILED = ("failed", "blocked")
REPEAT = {"yearly": "Hằng năm"}
CANCELLED = "đã huỷ"
DAYS_BEFORE = "{n} ngày trước"
ON_THE_DAY = "Trong ngày"
BAD_FORM_TITLE = "Thiếu thông tin"
BAD_FORM_TEXT = "Yêu cầu thiếu thông tin cần thiết. Đồng chí quay lại trang trước, tải lại rồi thử lại."
NOT_SAVED_TITLE = "Chưa lưu được"
CONFLICT_TEXT = ("Một cán bộ khác vừa lưu mục này sau khi đồng chí mở trang. Đồng chí mở lại mục, xem thay đổi "
                 "của họ rồi sửa lại.")
DONE = {"cach-hoi": "Đã thêm làm cách hỏi; bot trả lời được câu này ngay.",
        "ngoai-pham-vi": "Đã ghi nhận: không thuộc phạm vi, câu này không còn trong danh sách.",
        "don-vi": "Đã áp dụng thay đổi đơn vị.", "them": "Đã thêm cán bộ.", "bot": "Đã bỏ cán bộ khỏi danh sách."}
KIND = {"edit": "Sửa", "new": "Mục mới", "revert": "Quay lại", "phrasing": "Thêm cách hỏi"}
PREVIEW_KIND = {"answer": "Bot trả lời", "clarify": "Bot hỏi lại cho rõ", "fallback": "Bot chưa trả lời được"}
ID_TAKEN = "Mã mục này đã được dùng cho một mục khác."
ADMIN_KEPT_TITLE = "Không bỏ được cán bộ này"
ADMIN_KEPT_TEXT = ("Cán bộ này có trong ADMIN_IDS (cấu hình máy chủ), là cán bộ quản trị đầu tiên; chỉ quản trị hệ "
                   "thống bỏ được bằng cách sửa cấu hình.")
BAD_OFFICER_ID = ("Mã chưa đúng. Mã có dạng kênh:số, ví dụ telegram:123456789 hoặc zalo:1234567890; người cần thêm "
                  "gửi lệnh /toi cho bot để biết mã của mình.")
EXAMPLE_MADE_REAL = "Đã chuyển thành hạn thật: bot nhắc hạn này từ nay."
UNITS_NOTHING = "Chưa chọn thay đổi nào: đồng chí chọn đơn vị mới hoặc “Giải thể” cho ít nhất một đơn vị."
