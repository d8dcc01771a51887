"""The ids of the buttons the features offer (an event's `choice`), in one place with no
imports: the routing table reads them without loading the features (and storage) behind
them, so answering a question alone (`python -m bot ask`) starts fast."""

# Questions to the Office (handlers/office.py)
ASK_OFFICE = "oq:ask"  # the "Hỏi Văn phòng" button
REPLY_PREFIX = "oq:reply:"  # + question id: an officer's "Trả lời" button
OPEN_QUESTIONS = "oq:open"  # the questions waiting for an answer (/cauhoi)

# Reminders (handlers/deadlines.py)
ACK_PREFIX = "rem:ack:"  # + deadline id and occurrence: "Đã nộp" under a reminder

# Profile (handlers/profile.py)
EDIT_PREFIX = "p:edit:"  # + full_name | unit | leader | all
DELETE_CHOICE = "p:delete"

# Good-example reports (handlers/reports.py)
REPORT_START = "m:report"
MINE_CHOICE = "r:mine"
WITHDRAW_PREFIX = "r:wd:"  # + report id: asks first
WITHDRAW_SURE_PREFIX = "r:wdy:"  # + report id: the confirmation
ADD_PREFIX = "r:add:"  # + report id: "Bổ sung"

# Review by officers (handlers/review.py)
APPROVE_PREFIX, MORE_PREFIX, REJECT_PREFIX = "r:ok:", "r:more:", "r:no:"  # + report id
PREFIX_DECISION = {APPROVE_PREFIX: "approve", MORE_PREFIX: "more", REJECT_PREFIX: "reject"}
REVIEW_CHOICE = "r:review"
EXPORT_CHOICE = "r:export"
