"""The ids of the buttons of questions and answers (handlers/qa/answers.py), built and read
through their codecs (handlers/choices.py)."""

from __future__ import annotations

from handlers.choices import Codec

QA = Codec("m:qa")  # "Hỏi đáp": ask, with the topics
TOPICS = Codec("m:topics")  # "Các chủ đề khác"
TOPIC = Codec("t", (str,))  # + topic id
ENTRY = Codec("e", (str,))  # + entry id: its answer
DETAILS = Codec("d", (str,))  # + entry id: its whole answer ("Xem chi tiết")
