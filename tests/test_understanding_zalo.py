"""Staff as they really write, over the Zalo channel against the fake Zalo Bot API:
a follow-up, several questions in one message, small talk, a number outside the list."""

from __future__ import annotations

from handlers import texts
from tests.fake_zalo import make_update
from tests.test_zalo import Bot, fake, polling  # noqa: F401 (fixtures)


async def test_a_conversation_as_staff_write_it_on_zalo(polling: Bot) -> None:  # noqa: F811
    z = polling.fake
    z.push(make_update(message_id="c1", text="hồ sơ bằng khen thủ tướng gồm những gì", user="z1"))
    z.push(make_update(message_id="c2", text="còn giấy khen thì sao?", user="z1"))
    got = await z.wait_texts("z1", 2)
    assert got[0].startswith("Hồ sơ đề nghị Bằng khen Thủ tướng Chính phủ")
    assert got[1].startswith("Hồ sơ đề nghị Giấy khen") and "01 bộ" in got[1]

    z.push(make_update(message_id="c3", text="hồ sơ gồm những gì? nộp bản chính hay photo? ai thẩm định?", user="z1"))
    await z.wait_texts("z1", 3)
    await polling.inbound.wait_idle()
    # The three answers, in order, in the messages of one reply; one numbered list, at the end.
    # The conversation is about the Giấy khen: "hồ sơ gồm những gì" is its dossier.
    reply = "\n".join(z.texts("z1")[2:])
    order = [reply.find(t) for t in ("Hồ sơ đề nghị Giấy khen", "Hồ sơ nộp bản chính hay bản sao",
                                     "Ai thẩm định, tổng hợp hồ sơ khen thưởng")]
    assert -1 not in order and order == sorted(order)
    assert reply.count("(Trả lời bằng số từ 1 đến") == 1

    before = len(z.texts("z1"))
    z.push(make_update(message_id="c4", text="tks ad 👍", user="z1"))
    z.push(make_update(message_id="c5", text="/menu", user="z1"))
    z.push(make_update(message_id="c6", text="12", user="z1"))
    got = await z.wait_texts("z1", before + 3)
    assert texts.SMALL_TALK["thanks"] in got
    assert got[-1].startswith(texts.NUMBER_OUTSIDE.format(number="12", valid="từ 1 đến 7"))
    logged = [q.text for q in polling.app.repo.question_log()]
    assert "tks ad 👍" not in logged and "12" not in logged
