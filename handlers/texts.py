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

HELP = (
    "Hướng dẫn sử dụng:\n"
    "- Gõ câu hỏi bằng lời của đồng chí, có dấu hoặc không dấu; viết tắt quen dùng như BK TTg, HCLĐ, "
    "VKSTC, TĐKT đều hiểu được.\n"
    "- Chọn chủ đề để xem các nội dung theo nhóm.\n"
    "- Mỗi câu trả lời đều ghi nguồn (số văn bản, mục) để đồng chí đối chiếu.\n"
    "- Khi được hỏi lại \"Ý đồng chí là...\", hãy chọn một mục (trên Zalo: trả lời bằng số thứ tự).\n\n"
    "Các lệnh:\n"
    "/start hoặc /menu - menu chính\n"
    "/hoi - đặt câu hỏi\n"
    "/huy - hủy thao tác đang làm\n"
    "/trogiup - hướng dẫn này\n\n"
    "Nội dung do Văn phòng VKSND tỉnh (thường trực Hội đồng Thi đua, khen thưởng) biên soạn. "
    "Câu hỏi chưa có trong dữ liệu được ghi lại để bổ sung."
)

TOPIC_INTRO = "{title}\n{description}\n\nChọn nội dung đồng chí muốn xem:"
TOPIC_EMPTY = "Chủ đề này hiện chưa có nội dung."
SOURCE_LINE = "Nguồn: {source}"
CLARIFY = "Ý đồng chí là nội dung nào dưới đây?"
CLARIFY_TEXT_HINT = "Nếu không phải, đồng chí hãy hỏi lại cụ thể hơn."
FALLBACK = (
    "Xin lỗi đồng chí, tôi chưa có thông tin để trả lời chính xác câu hỏi này trong tài liệu về thi đua, "
    "khen thưởng hiện có.\n\n"
    "Đồng chí có thể xem các chủ đề dưới đây, hoặc liên hệ Văn phòng VKSND tỉnh (thường trực Hội đồng "
    "Thi đua, khen thưởng) để được giải đáp. Câu hỏi đã được ghi lại để bổ sung nội dung."
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
LATE_ANSWER = "Xin lỗi đồng chí, do đường truyền gián đoạn nên câu trả lời cho câu hỏi «{question}» đến muộn:"
LATE_ANSWER_NO_QUESTION = "Xin lỗi đồng chí, do đường truyền gián đoạn nên câu trả lời sau đây đến muộn:"
PHOTO_CAPTION_READ = "Tôi đã nhận ảnh (hiện chưa có thao tác nào cần lưu ảnh) và xin trả lời phần chữ kèm theo:"
THANKS = "Rất vui được hỗ trợ đồng chí. Khi cần, đồng chí cứ gõ câu hỏi hoặc chọn /menu."
CANCELLED = "Đã hủy. Đồng chí có thể gõ câu hỏi hoặc chọn một mục trong menu."
NOTHING_TO_CANCEL = "Hiện không có thao tác nào đang làm dở. Đồng chí có thể gõ câu hỏi bất cứ lúc nào."
STALE_CHOICE = "Lựa chọn này đã cũ hoặc không còn. Mời đồng chí chọn lại từ menu."
COMING_SOON = {
    "report": (
        "Chức năng gửi gương người tốt, việc tốt đang được hoàn thiện và sẽ có trong bản cập nhật tới. "
        "Trong thời gian này, đồng chí vui lòng gửi thông tin về Văn phòng VKSND tỉnh."
    ),
    "deadlines": (
        "Chức năng lịch nhắc hạn (nhắc trước hạn báo cáo, đề nghị khen thưởng) đang được hoàn thiện "
        "và sẽ có trong bản cập nhật tới."
    ),
}
RELOADED = "Đã nạp lại nội dung: {entries} mục, {topics} chủ đề."
RELOAD_FAILED = "Nội dung mới có lỗi, vẫn giữ nội dung cũ:\n{problems}"
NOT_ADMIN = "Lệnh này chỉ dành cho cán bộ quản trị."
INTERNAL_ERROR = (
    "Xin lỗi đồng chí, hệ thống vừa gặp sự cố khi xử lý tin nhắn. Đồng chí vui lòng thử lại sau ít phút; "
    "nếu vẫn lỗi, xin báo Văn phòng VKSND tỉnh."
)
SLOW_DOWN = "Đồng chí gửi nhanh quá, xin chờ vài giây rồi gửi tiếp ạ."
