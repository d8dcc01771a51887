"""Words typed instead of commands and the conversation words, read from the content
directory (commands.yaml, smalltalk.yaml) rather than lists in the code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.settings import load_settings
from content.commands import default
from content.dialogue_file import DocumentSetting, PointingBack
from content.normalize import fold_aligned
from content.yaml_reader import yaml_load
from handlers import texts
from handlers.commands import help_text
from tests.conftest import REAL_CONTENT, Talk

# The words the code used to list, each still read as before.
OLD_WORD_COMMANDS = {
    "menu": "menu", "bat dau": "menu", "menu chinh": "menu", "start": "menu",
    "tro giup": "help", "huong dan": "help", "help": "help",
    "huy": "cancel", "huy bo": "cancel", "thoat": "cancel",
    "hoi van phong": "ask_office",
    "lich nhac han": "deadlines", "lich": "deadlines", "nhac han": "deadlines",
    "bao cao cua toi": "my_reports", "xem bao cao cua toi": "my_reports", "duyet bao cao": "review",
    "ho so cua toi": "profile", "xoa ho so": "delete_profile",
}
OLD_BACK_WORDS = ["quay lai", "tro lai", "lui lai", "buoc truoc", "quay lai buoc truoc"]
OLD_GREETINGS = ["xin chao", "chao", "chao ban", "chao bot", "hello", "hi", "alo", "chao anh", "chao chi", "chao em"]
OLD_THANKS = ["cam on", "cam on ban", "cam on nhieu", "thanks", "thank you", "ok cam on", "cam on a", "tks"]


def test_the_old_word_commands_mean_the_same():
    words = default()
    for typed, name in OLD_WORD_COMMANDS.items():
        assert words.of(typed) == name, typed
    assert all(words.of(w) == "back" for w in OLD_BACK_WORDS)
    # With diacritics and courtesy words too; more words make a question.
    assert words.of("Hủy giúp em với ạ") == "cancel" and words.of("cho em xem lịch nhắc hạn") == "deadlines"
    assert words.of("hủy bằng khen thì sao") is None and words.of("chi tiết hồ sơ bằng khen") is None


@pytest.mark.parametrize("text", OLD_GREETINGS)
def test_greetings_get_the_welcome(app: App, text: str):
    [reply] = Talk(app)(text)
    assert reply.choices and reply.choices[0].label == texts.MENU_QA


@pytest.mark.parametrize("text", OLD_THANKS)
def test_thanks_get_the_short_reply(app: App, text: str):
    [reply] = Talk(app)(text)
    assert reply.text == texts.SMALL_TALK["thanks"]


def test_the_office_can_add_a_typed_command(tmp_path: Path):
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = content / "commands.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  help: [", "  help: [bí quá, "), encoding="utf-8")
    app = build_app(load_settings(data_dir=tmp_path / "data", content_dir=content))
    [reply] = Talk(app)("bí quá ạ")
    assert reply.text == help_text(officer=False)


def test_the_words_of_a_comparison_are_the_lexicons(tmp_path: Path):
    question = "hcld với bk ttg khác nhau chăng"
    [alone] = Talk(build_app(load_settings(data_dir=tmp_path / "a", content_dir=REAL_CONTENT)))(question)
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = content / "lexicon.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  endings: [", "  endings: [chăng, "), encoding="utf-8")
    app = build_app(load_settings(data_dir=tmp_path / "b", content_dir=content))
    both = Talk(app)(question)
    assert [r.heading for r in both] == ["Tiêu chuẩn Huân chương Lao động", "Tiêu chuẩn Bằng khen Thủ tướng Chính phủ"]
    assert alone.heading not in [r.heading for r in both]  # without the word it was no comparison


def test_content_check_names_a_comparison_word_without_letters():
    from content.lexicon import LexiconFile, problems

    lexicon = LexiconFile(stopwords=["ạ"], default_aspect="tiêu chuẩn", comparison={"endings": ["thế nào", "?"]})
    assert problems(lexicon) == ["comparison.endings: '?' has no words"]


# The words content/out_of_scope.py and content/recall.py used to list in the code.
OLD_SCOPE_FILLERS = frozenset(
    "a ah ak ad admin bot cac cho cua da dc duoc giup kia la long mot nha nhe nhi nhung oi roi se "
    "va vay voi vui em anh nao sao gi nhu the ra xin ha".split())
OLD_SCOPE_NEGATIONS = frozenset({"khong", "ko", "k", "chua", "chang"})
# Messages after "Huân chương Lao động nộp mấy bộ hồ sơ?": the old patterns' reading of each.
OLD_CORRECTIONS = ["à không, ý em là giấy khen cơ", "không phải, giấy khen", "nhầm, em hỏi giấy khen chứ",
                   "bằng khen thủ tướng mới đúng", "ý mình hỏi giấy khen", "em muốn hỏi về giấy khen cơ",
                   "dạ ko, giấy khen"]
OLD_NOT_CORRECTIONS = ["không biết giấy khen nộp mấy bộ", "không có giấy khen thì sao", "em hỏi giấy khen",
                       "giấy khen thì sao", "ấy chết, giấy khen"]


def _recall_and_scope(content: Path):
    from content.service import Knowledge

    dialogue = Knowledge(content).dialogue
    return dialogue.recall_words, dialogue.out_of_scope


def _without(path: Path, key: str) -> None:
    """The YAML file without its top-level `key` (and the comment block just before it)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = at = lines.index(f"{key}:")
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    end = next((i for i in range(at + 1, len(lines)) if lines[i] and lines[i][0] not in " #"), len(lines))
    path.write_text("\n".join(lines[:start] + lines[end:]) + "\n", encoding="utf-8")


@pytest.mark.parametrize("stripped", [False, True])
def test_the_old_recall_and_out_of_scope_words_mean_the_same(tmp_path: Path, stripped: bool):
    """The shipped lists, and the defaults a content directory without them gets, read as the code's did."""
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    if stripped:
        _without(content / "lexicon.yaml", "out_of_scope")
        _without(content / "dialogue.yaml", "corrections")
        _without(content / "dialogue.yaml", "pointing_back")
        dialogue = (content / "dialogue.yaml").read_text(encoding="utf-8")
        assert "corrections" not in dialogue and "pointing_back" not in dialogue and "subjects:" in dialogue
        assert "out_of_scope" not in (content / "lexicon.yaml").read_text(encoding="utf-8")
    words, scope = _recall_and_scope(content)
    if not stripped:
        # docs/content.md: without the section, the defaults are the shipped file's lists.
        shipped = yaml_load((content / "dialogue.yaml").read_text(encoding="utf-8"))["pointing_back"]
        assert PointingBack(**shipped) == PointingBack()
        setting = yaml_load((content / "dialogue.yaml").read_text(encoding="utf-8"))["document_setting"]
        assert DocumentSetting(**setting) == DocumentSetting()
    assert (scope.fillers, scope.negations) == (OLD_SCOPE_FILLERS, OLD_SCOPE_NEGATIONS)
    assert all(words.correction.search(fold_aligned(m)) for m in OLD_CORRECTIONS)
    assert not any(words.correction.search(fold_aligned(m)) for m in OLD_NOT_CORRECTIONS)
    assert words.earlier.search("thế tiêu chuẩn của cai kia thì sao").group(0) == "cai kia"
    assert words.last.search("vay muc khen nay can may bo").group(0) == "muc khen nay"
    pointed = words.document_pointed("văn bản đó ký ngày nào", {"docs": [["ke hoach", "Kế hoạch 127/KH-VKSTC"]]})
    assert pointed == ("van ban do", "Kế hoạch 127/KH-VKSTC")
    assert words.document_pointed("thông tư đó", {"docs": [["ke hoach", "Kế hoạch 127/KH-VKSTC"]]}) is None


def test_the_office_can_add_a_correction_and_an_out_of_scope_filler(tmp_path: Path):
    from content.service import Knowledge

    def second(knowledge: Knowledge) -> str:
        about = knowledge.read("Huân chương Lao động nộp mấy bộ hồ sơ?", None).about
        result = knowledge.read("ấy chết, giấy khen", about).parts[0][1]
        return result.entry.title if result.kind == "answer" and result.entry else result.kind

    assert second(Knowledge(REAL_CONTENT)) == "fallback"
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = content / "dialogue.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  phrases: [nhầm, ", "  phrases: [ấy chết, nhầm, "),
                    encoding="utf-8")
    path = content / "lexicon.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  fillers: [à, ", "  fillers: [bác, à, "),
                    encoding="utf-8")
    knowledge = Knowledge(content)
    assert second(knowledge) == "Hồ sơ đề nghị Giấy khen"
    from content.out_of_scope import OutOfScope

    asked = "giá vé tàu bác ơi nhé"  # one word more than the example's three: not the same question...
    assert OutOfScope(["giá vé tàu"]).example_for(asked) is None
    # ...unless the Office says "bác" is only politeness.
    assert OutOfScope(["giá vé tàu"], knowledge.matcher.lexicon).example_for(asked) == "giá vé tàu"


def test_content_check_names_broken_recall_and_out_of_scope_words():
    from content.dialogue_file import DialogueFile
    from content.dialogue_file import problems as dialogue_problems
    from content.lexicon import LexiconFile, problems

    lexicon = LexiconFile(stopwords=["ạ"], default_aspect="tiêu chuẩn", out_of_scope={"fillers": ["ạ", "cho em"]})
    assert problems(lexicon) == ["out_of_scope.fillers: 'cho em' must be one word"]
    dialogue = DialogueFile(corrections={"phrases": ["nhầm", "!"]}, pointing_back={"documents": ["công văn"]})
    assert dialogue_problems(dialogue, set()) == [
        "corrections.phrases: '!' has no words",
        "pointing_back.documents: 'công văn' is not a kind of document the bot recognises "
        "(chi thi, ke hoach, nghi quyet, thong tu)"]
    # A name written with a comma, unquoted in YAML's [...], arrives as two items: each is named.
    dialogue = DialogueFile(comma_phrases=["thi đua", "khen thưởng", "phòng, chống"])
    assert dialogue_problems(dialogue, set()) == ["comma_phrases: 'thi đua' has no comma between two words",
                                                  "comma_phrases: 'khen thưởng' has no comma between two words"]
    dialogue = DialogueFile(pointing_back={"bodies": {"Văn phòng": ["VP", "!"]}})
    assert dialogue_problems(dialogue, set()) == ["pointing_back.bodies: Văn phòng: '!' has no words"]
    dialogue = DialogueFile(joined_words=["công chức", "chức", "cán bộ công chức"])
    assert dialogue_problems(dialogue, set()) == ["joined_words: 'chức' is not a word of two syllables",
                                                  "joined_words: 'cán bộ công chức' is not a word of two syllables"]
