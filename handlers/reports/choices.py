"""The ids of the buttons of good-example reports and their review (handlers/reports/flow.py,
handlers/reports/review.py), built and read through their codecs (handlers/choices.py)."""

from __future__ import annotations

from handlers.choices import Codec

# Submitting (flow)
REPORT_START = Codec("m:report")
MINE = Codec("r:mine")
WITHDRAW = Codec("r:wd", (int,))  # + report id: asks first
WITHDRAW_SURE = Codec("r:wdy", (int,))  # + report id: the confirmation
ADD_MORE = Codec("r:add", (int,))  # + report id: "Bổ sung"

# Review by officers (review)
APPROVE, ASK_MORE, REJECT = Codec("r:ok", (int,)), Codec("r:more", (int,)), Codec("r:no", (int,))  # + report id
DECISIONS = {APPROVE: "approve", ASK_MORE: "more", REJECT: "reject"}
REVIEW = Codec("r:review")
EXPORT = Codec("r:export")
