"""Answers shaped for a phone: the direct answer first with its source, the rest
behind "Xem chi tiết" (or "chi tiết" typed), each long name spelt out once."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.rendering import numbered
from content.expansions import once
from handlers import texts
from tests.conftest import REAL_CONTENT, Talk
from tests.incli import run_cli

ROOT = Path(__file__).resolve().parent.parent
PHONE = 700  # characters of an answer with its source and choices, as Zalo and the console show it
NOTE = "Luật Thi đua, khen thưởng năm 2022"
QUESTION = "hồ sơ bằng khen thủ tướng gồm những gì"


def test_the_direct_answer_comes_first_and_the_details_behind_a_choice(app: App):
    talk = Talk(app)
    kb = app.knowledge.kb
    [reply] = talk(QUESTION)
    entry = kb.by_id["ho-so-bk-ttg"]
    assert reply.heading == entry.title
    assert reply.text.startswith(kb.short_text(entry))
    assert "Nguồn: KH 515/KH-VKS" in reply.text and "08/11/2021" in reply.text  # the source stays with it
    assert NOTE not in reply.text and "Bản tóm tắt thành tích do" not in reply.text  # the long note waits
    assert kb.short_note(entry) in reply.text  # its one line does not (test_understanding: the 2022 Law)
    assert reply.choices[0].label == texts.SEE_DETAILS
    assert len(numbered(reply)) <= PHONE
    [details] = talk("1")  # Zalo and the console: the number of "Xem chi tiết"
    assert entry.answer in details.text and NOTE in details.text and "Nguồn: KH 515/KH-VKS" in details.text
    assert texts.SEE_DETAILS not in [c.label for c in details.choices]
    assert any(c.id.startswith("e:") for c in details.choices)  # the follow-ups, all of them


def test_the_button_opens_the_details_on_telegram_too(app: App):
    talk = Talk(app, channel="telegram")
    [reply] = talk(QUESTION)
    [details] = talk(choice=reply.choices[0].id)
    assert NOTE in details.text and app.knowledge.kb.by_id["ho-so-bk-ttg"].answer in details.text


@pytest.mark.parametrize("words", ["chi tiết", "xem chi tiết", "nói rõ hơn", "chi tiet", "noi ro hon",
                                   "chi tiết giúp em với ạ", "Xem chi tiết nhé", "cụ thể hơn"])
def test_typed_words_open_the_details_of_the_last_answer(app: App, words: str):
    talk = Talk(app)
    talk("giấy khen nộp mấy bộ hồ sơ")
    talk("cảm ơn")  # small talk in between changes nothing
    [details] = talk(words)
    assert details.heading == app.knowledge.kb.by_id[_last_answer(app, "giấy khen nộp mấy bộ hồ sơ")].title
    assert NOTE in details.text


def _last_answer(app: App, question: str) -> str:
    result = app.conversation.answer(question, record=False)
    return result.match.entry.id


def test_the_last_answer_survives_a_restart(app: App):
    Talk(app)(QUESTION, user="r1")
    fresh = Talk(build_app(app.settings))  # e.g. after a restart
    [details] = fresh("chi tiết", user="r1")
    assert details.heading == app.knowledge.kb.by_id["ho-so-bk-ttg"].title and NOTE in details.text


def test_details_with_nothing_answered_say_so(app: App):
    talk = Talk(app)
    [reply] = talk("chi tiết", user="n1")
    assert reply.text == texts.NO_DETAILS and reply.choices
    talk(QUESTION, user="n2")
    talk("thủ tục làm hộ chiếu", user="n2")  # a fallback: there is no last answer to detail
    [reply] = talk("nói rõ hơn", user="n2")
    assert reply.text == texts.NO_DETAILS


def test_a_question_that_asks_for_details_gets_the_whole_answer(app: App):
    [reply] = Talk(app)("chi tiết hồ sơ đề nghị bằng khen thủ tướng")
    assert reply.heading == app.knowledge.kb.by_id["ho-so-bk-ttg"].title
    assert NOTE in reply.text and texts.SEE_DETAILS not in [c.label for c in reply.choices]


def test_every_entry_fits_a_phone_screen(app: App):
    talk = Talk(app)
    lengths = {}
    for entry in app.knowledge.kb.entries:
        [reply] = talk(choice=f"e:{entry.id}")
        assert reply.heading == entry.title
        lengths[entry.id] = len(numbered(reply))
    too_long = {k: n for k, n in lengths.items() if n > PHONE}
    assert not too_long, too_long


def test_several_answers_offer_the_details_of_each(app: App):
    talk = Talk(app)
    replies = talk("hồ sơ bằng khen thủ tướng gồm những gì? giấy khen do ai tặng?")
    assert len(replies) == 2 and not replies[0].choices
    details = [c for c in replies[-1].choices if c.id.startswith("d:")]
    assert [c.label for c in details] == [texts.SEE_DETAILS_OF.format(title=r.heading) for r in replies]
    shown = talk("chi tiết")  # both, in order, one list at the end
    assert [r.heading for r in shown] == [r.heading for r in replies]
    assert not shown[0].choices and shown[-1].choices


def test_a_long_name_is_spelt_out_once_per_reply(app: App):
    full = "Viện kiểm sát nhân dân tối cao (VKSND tối cao)"
    talk = Talk(app)
    replies = talk("số bộ hồ sơ bằng khen vkstc và giấy khen khác nhau thế nào")
    text = "\n".join(r.text for r in replies)
    assert text.count(full) <= 1
    replies = talk("chi tiết")
    text = "\n".join(r.text for r in replies)
    assert text.count(full) <= 1


def test_expansions_after_the_first_are_shortened():
    name = "Bằng khen của Viện trưởng Viện kiểm sát nhân dân tối cao (VKSND tối cao)"
    first, second = once([f"{name} 02 bộ.", f"{name}; Văn phòng Viện kiểm sát nhân dân tỉnh Tây Ninh (VKSND tỉnh)."])
    assert first == f"{name} 02 bộ."
    assert second == "Bằng khen của Viện trưởng VKSND tối cao; Văn phòng Viện kiểm sát nhân dân tỉnh Tây Ninh (VKSND tỉnh)."
    # Parentheses that expand nothing stay as written.
    assert once(["Chữ ký (KT. Viện trưởng)", "Chữ ký (KT. Viện trưởng)"])[1] == "Chữ ký (KT. Viện trưởng)"


def test_ask_prints_the_whole_answer(tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = run_cli(["ask", QUESTION], tmp_path, env)
    assert proc.returncode == 0 and NOTE in proc.stdout and "Bản tóm tắt thành tích do" in proc.stdout
    assert texts.SEE_DETAILS not in proc.stdout


def _check(content: Path) -> subprocess.CompletedProcess:
    return run_cli(["content", "check"], ROOT, {"PATH": "/usr/bin:/bin", "CONTENT_DIR": str(content),
                                               "PYTHONPATH": str(ROOT), "DATA_DIR": str(content.parent / "data")})


def test_content_check_wants_a_short_answer_that_reads_alone(tmp_path: Path):
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = content / "entries" / "ho-so.yaml"
    text = path.read_text(encoding="utf-8")
    # thu-tuc-don-gian: without its `short`, the first paragraph is too long to read first.
    start = text.index("    short: >-")
    text = text[:start] + text[text.index("    source:", start):]
    # so-bo-ho-so: a first paragraph that only introduces a list.
    text = text.replace("      Số lượng hồ sơ (bản chính): Huân chương", "      Số lượng hồ sơ:\n\n      - Huân chương", 1)
    path.write_text(text, encoding="utf-8")
    proc = _check(content)
    assert proc.returncode == 1
    assert "entry thu-tuc-don-gian: the first paragraph of its answer (the short answer) has" in proc.stdout + proc.stderr
    assert "entry so-bo-ho-so: the first paragraph of its answer (the short answer) introduces a list" in (
        proc.stdout + proc.stderr)


def test_content_check_names_a_broken_commands_file(tmp_path: Path):
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = content / "commands.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  help: [", "  dance: [nhảy]\n  help: [xem chi tiết, "),
                    encoding="utf-8")
    out = _check(content)
    said = out.stdout + out.stderr
    assert out.returncode == 1
    assert "commands.yaml: commands: 'dance' is not something the bot does" in said
    assert "commands.yaml: commands: help: 'xem chi tiết' is also a phrase of details" not in said  # help comes first
    assert "is also a phrase of help" in said
