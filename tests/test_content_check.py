"""`python -m bot content check` on the real content and on broken copies."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from content.loader import ContentError, load
from tests.conftest import REAL_CONTENT
from tests.incli import run_cli

ROOT = Path(__file__).resolve().parent.parent


def run_check(content_dir: Path) -> subprocess.CompletedProcess:
    env = {"CONTENT_DIR": str(content_dir), "PATH": "/usr/bin:/bin", "HOME": str(content_dir)}
    return run_cli(["content", "check"], ROOT, env)


def test_real_content_passes():
    proc = run_check(REAL_CONTENT)
    assert proc.returncode == 0, proc.stderr
    assert "content OK" in proc.stdout


def test_real_content_covers_both_plans():
    kb = load(REAL_CONTENT)
    sources = " ".join(e.source for e in kb.entries)
    assert "515/KH-VKS" in sources
    assert "19/CT-TTg" in sources
    assert len(kb.entries) >= 60
    for topic in kb.topics:
        assert kb.entries_of(topic.id), topic.id


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _first_entry_file(content: Path) -> Path:
    return sorted((content / "entries").glob("*.yaml"))[0]


def test_duplicate_id_is_reported_with_file_and_entry(broken: Path):
    path = _first_entry_file(broken)
    kb = load(broken)
    first = next(e for e in kb.entries if e.id in path.read_text(encoding="utf-8"))
    extra = broken / "entries" / "zz_extra.yaml"
    extra.write_text(
        "entries:\n"
        f"  - id: {first.id}\n    topic: {first.topic}\n    title: Bản sao\n"
        "    questions: [câu hỏi]\n    answer: trả lời\n    source: KH 515/KH-VKS\n",
        encoding="utf-8")
    proc = run_check(broken)
    assert proc.returncode != 0
    assert "zz_extra.yaml" in proc.stderr and first.id in proc.stderr and "duplicate" in proc.stderr


def test_missing_source_and_dangling_related_are_reported(broken: Path):
    extra = broken / "entries" / "zz_bad.yaml"
    extra.write_text(
        "entries:\n"
        "  - id: khong-nguon\n    topic: ho-so\n    title: Không nguồn\n"
        "    questions: [câu hỏi]\n    answer: trả lời\n"
        "  - id: lien-ket-hong\n    topic: ho-so\n    title: Liên kết hỏng\n"
        "    questions: [câu hỏi]\n    answer: trả lời\n    source: KH 515/KH-VKS\n    related: [khong-co-muc-nay]\n",
        encoding="utf-8")
    proc = run_check(broken)
    assert proc.returncode != 0
    assert "zz_bad.yaml" in proc.stderr
    assert "khong-nguon" in proc.stderr and "source" in proc.stderr
    assert "lien-ket-hong" in proc.stderr and "khong-co-muc-nay" in proc.stderr


def test_invalid_yaml_and_unknown_topic_are_reported(broken: Path):
    (broken / "entries" / "zz_syntax.yaml").write_text("entries:\n  - id: [unclosed\n", encoding="utf-8")
    (broken / "entries" / "zz_topic.yaml").write_text(
        "entries:\n  - id: sai-chu-de\n    topic: khong-ton-tai\n    title: T\n"
        "    questions: [q]\n    answer: a\n    source: s\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load(broken)
    text = "\n".join(err.value.problems)
    assert "zz_syntax.yaml" in text and "not valid YAML" in text
    assert "sai-chu-de" in text and "khong-ton-tai" in text


def test_topic_without_entries_is_reported(broken: Path):
    topics = broken / "topics.yaml"
    data = yaml.safe_load(topics.read_text(encoding="utf-8"))
    data["topics"].append({"id": "chu-de-trong", "title": "Trống"})
    topics.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load(broken)
    assert any("chu-de-trong" in p and "no entries" in p for p in err.value.problems)


def test_broken_deadlines_are_named(tmp_path: Path):
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    deadlines = content / "deadlines.yaml"
    deadlines.write_text(yaml.safe_dump({"deadlines": [
        {"id": "a", "title": "Nộp báo cáo", "due": "15/12/2026", "offsets": [3, -1]},
        {"id": "b", "title": "Nộp hồ sơ", "due": "2026-12-16 17:00", "send_time": "25:00"},
    ]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load(content)
    text = "\n".join(info.value.problems)
    assert "(id a).due" in text and "YYYY-MM-DD HH:MM" in text and "(id a).offsets" in text
    assert "(id b).send_time" in text
    deadlines.write_text(yaml.safe_dump({"deadlines": [
        {"id": "b", "title": "Nộp hồ sơ", "due": "2026-12-15 17:00", "audience": "unit:khong-co",
         "entry": "khong-co-muc-nay"},
        {"id": "b", "title": "Trùng mã", "due": "2026-12-16 17:00"},
    ]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load(content)
    text = "\n".join(info.value.problems)
    assert "deadline b: duplicate id" in text and "unknown unit 'khong-co'" in text
    assert "entry 'khong-co-muc-nay' does not exist" in text
    proc = run_check(content)
    assert proc.returncode == 1 and "deadlines.yaml" in proc.stderr


def test_check_says_in_one_line_how_many_example_deadlines_are_inert():
    proc = run_check(REAL_CONTENT)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "example deadline" in line]
    assert lines == [f"{len(load(REAL_CONTENT).deadlines)} example deadlines in deadlines.yaml are inert (never "
                     "sent, shown as \"(ví dụ)\"): to make one real, set its date and remove `example: true`, or "
                     "add real ones with /hanmoi or `python -m bot deadlines add`"]


def test_broken_concepts_are_named_in_vietnamese(broken: Path):
    concepts = broken / "concepts.yaml"
    concepts.write_text("concepts:\n  - means: tuyên truyền\n    words: [clip, Tuyên truyền, clip, '...']\n",
                        encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load(broken)
    text = "\n".join(err.value.problems)
    assert "concepts.yaml" in text
    assert "trùng với chính khái niệm" in text and "bị lặp lại" in text and "không có chữ nào" in text
    concepts.write_text("concepts:\n  - means: tập thể\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load(broken)
    assert any("concepts.yaml" in p and "concepts.0.words" in p for p in err.value.problems)


def test_concepts_add_the_plan_term_to_a_situation():
    from content.concepts import ConceptFile, Concepts
    from content.normalize import tokens

    c = Concepts(ConceptFile.model_validate(
        {"concepts": [{"means": "tuyên truyền", "words": ["clip", "đăng facebook"]},
                      {"means": "5k", "words": ["đeo khẩu trang"]},
                      {"means": "lơ là", "words": ["không đeo khẩu trang"]}]}))
    assert c.named(tokens("lam clip dang facebook")) == ["tuyên truyền"]
    assert c.named(tokens("có người không đeo khẩu trang")) == ["lơ là"]  # the longest phrase, read once
    assert c.expand("Làm clip") == "lam clip tuyen truyen"


def test_examples_are_checked_like_phrasings(broken: Path):
    """An entry's `examples` (how staff write; the learned ranker alone reads them): no blank
    item, no term the content leaves out, and none another entry has as a phrasing or example."""
    from content.entry_problems import content_problems

    kb = load(broken)
    first, other = kb.entries[0], kb.entries[1]
    path = next(p for p in (broken / "entries").glob("*.yaml") if f"id: {first.id}\n" in p.read_text(encoding="utf-8"))
    data = first.model_dump(exclude_defaults=True)

    def with_examples(examples: list[str]) -> list[str]:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        for e in entries["entries"]:
            if e["id"] == first.id:
                e["examples"] = examples
        copy = broken.parent / f"copy-{len(examples)}-{abs(hash(tuple(examples)))}"
        shutil.copytree(broken, copy)
        (copy / "entries" / path.name).write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ContentError) as err:
            load(copy)
        return err.value.problems

    assert any("examples" in p and first.id in p for p in with_examples(["câu của cán bộ", "  "]))
    mixed = other.questions[0].upper()  # the same words, written otherwise
    [dup] = [p for p in with_examples([mixed]) if first.id in p]
    assert "example" in dup and other.id in dup
    [uncovered] = [p for p in with_examples(["em được bầu chiến sĩ thi đua cơ sở thì sao"]) if first.id in p]
    assert "an example asks about 'chiến sĩ thi đua'" in uncovered

    # The console says them in Vietnamese beside the field.
    said = content_problems(broken, {first.id: {**data, "examples": [other.questions[0]]}}, first.id)
    assert list(said) == ["examples"] and other.id in said["examples"][0]
    assert load(broken, {first.id: {**data, "examples": ["một câu cán bộ hay viết, dài và có hoàn cảnh"]}}) \
        .by_id[first.id].examples == ["một câu cán bộ hay viết, dài và có hoàn cảnh"]


def test_broken_out_of_scope_examples_are_named_in_vietnamese(broken: Path):
    """content/out_of_scope.yaml: an empty or repeated message, and one that is also an entry's phrasing
    (it would teach the ranker both), are named."""
    entry = load(REAL_CONTENT).entries[0]
    (broken / "out_of_scope.yaml").write_text(
        "examples:\n  - máy in hỏng báo ai\n  - 'May in hong bao ai'\n  - '...'\n"
        f"  - {entry.questions[0]!r}\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load(broken)
    text = "\n".join(p for p in err.value.problems if "out_of_scope.yaml" in p)
    assert "examples[1]: trùng một câu ở trên" in text and "examples[2]: câu trống" in text
    assert f"examples[3]: {entry.questions[0]!r} là một cách hỏi của mục {entry.id}" in text
    assert load(REAL_CONTENT).outside  # the shipped file is read, and passes
