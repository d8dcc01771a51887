"""The Office's edits leave the database as YAML (`content export`: loaded back, the same
answers), survive `backup` and `restore`, and `content conflicts` / `content check` list
an edited entry the repository changed since."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import cli
from bot.app import App, build_app
from bot.backup import backup, restore
from bot.settings import load_settings
from content import DEFAULT_CONTENT_DIR
from content.entry_problems import entry_data
from content.loader import load
from content.service import Knowledge
from handlers.curation_service import Curation
from storage import db
from storage.content_edits import EditStore

ALICE = "telegram:111"
NEW_Q = "hạn chót nộp báo cáo sơ kết là ngày nào"
# How staff write (an entry's `examples`, which only the learned ranker reads).
NEW_EXAMPLE = "phòng em lần đầu làm hồ sơ khen cho anh em trong đơn vị, cho hỏi phải chuẩn bị những gì"
NEW_ENTRY = {"id": "mau-to-trinh", "topic": "ho-so", "title": "Mẫu tờ trình đề nghị khen thưởng",
             "questions": ["mẫu tờ trình lấy ở đâu", "xin mẫu tờ trình khen thưởng"],
             "examples": ["đơn vị em sắp trình khen cho một đồng chí mà chưa có mẫu tờ trình, xin ở đâu a"],
             "answer": "Mẫu tờ trình đề nghị khen thưởng do Văn phòng VKSND tỉnh cung cấp.\n\nLiên hệ Văn phòng.",
             "source": "KH 515/KH-VKS, mục V", "related": ["ho-so-gom"]}


def edited(app: App) -> Curation:
    cur = Curation(app.knowledge, app.knowledge.edits, app.repo)
    form = entry_data(app.knowledge.kb.by_id["ho-so-gom"])
    form["questions"] = [*form["questions"], NEW_Q]
    form["examples"] = [*form["examples"][1:], NEW_EXAMPLE]
    form["title"] = "Hồ sơ đề nghị khen thưởng gồm: những gì"  # a colon, which YAML must quote
    assert cur.save(form, ALICE, 0).saved
    assert cur.save(NEW_ENTRY, ALICE, 0).saved
    return cur


def test_export_writes_yaml_that_loads_to_the_same_answers(app: App, tmp_path: Path, capsys: pytest.CaptureFixture):
    edited(app)
    out = tmp_path / "exported"
    assert cli.main(["content", "export", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "version 2, 2 entries edited" in said and "entries/ho-so.yaml" in said
    exported = Knowledge(out)
    assert exported.kb.by_id["ho-so-gom"] == app.knowledge.kb.by_id["ho-so-gom"]
    assert exported.kb.by_id["mau-to-trinh"] == app.knowledge.kb.by_id["mau-to-trinh"]
    assert [e.id for e in exported.kb.entries] == [e.id for e in app.knowledge.kb.entries]
    assert NEW_EXAMPLE in exported.kb.by_id["ho-so-gom"].examples
    assert exported.kb.by_id["mau-to-trinh"].examples == NEW_ENTRY["examples"]
    written = (out / "entries" / "ho-so.yaml").read_text(encoding="utf-8")
    assert f"    examples:\n      - {NEW_ENTRY['examples'][0]}\n" in written[written.index("id: mau-to-trinh"):]
    assert f"      - {NEW_EXAMPLE}\n    keywords:" in written  # the list after the phrasings, as the files write it
    questions = [q for e in app.knowledge.kb.entries for q in e.questions] + [NEW_Q, "con mèo tên gì"]
    for q in questions:
        a, b = app.knowledge.match(q), exported.match(q)
        assert (a.kind, a.entry and a.entry.id, round(a.score, 6)) == (b.kind, b.entry and b.entry.id,
                                                                       round(b.score, 6)), q
    # Only the edited file changed; the others are copied byte for byte.
    for path in (DEFAULT_CONTENT_DIR / "entries").glob("*.yaml"):
        same = path.read_bytes() == (out / "entries" / path.name).read_bytes()
        assert same == (path.name != "ho-so.yaml"), path.name
    assert cli.main(["content", "export", "--out", str(out)]) == 2  # not over a folder with content


def test_backup_and_restore_keep_the_edits(app: App, tmp_path: Path):
    edited(app)
    archive = tmp_path / "b.tar.gz"
    backup(app.settings, archive)
    other = load_settings(data_dir=tmp_path / "restored", content_dir=DEFAULT_CONTENT_DIR)
    restore(other, archive)
    store = EditStore(db.make_engine(other.db_url))
    assert store.overlay() == app.knowledge.edits.overlay() and store.count() == 2
    restored = build_app(other)
    assert restored.knowledge.version == 2
    assert restored.knowledge.match(NEW_Q).entry.id == "ho-so-gom"
    assert restored.knowledge.kb.by_id["ho-so-gom"].examples == app.knowledge.kb.by_id["ho-so-gom"].examples
    assert NEW_EXAMPLE in restored.knowledge.kb.by_id["ho-so-gom"].examples
    assert restored.knowledge.match("xin mẫu tờ trình khen thưởng").entry.id == "mau-to-trinh"


def test_conflicts_and_check_list_an_edited_entry_the_repository_changed(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                         monkeypatch: pytest.MonkeyPatch):
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setenv("CONTENT_DIR", str(content))
    settings = load_settings(data_dir=tmp_path / "data", content_dir=content)
    app = build_app(settings)
    edited(app)
    assert cli.main(["content", "conflicts"]) == 0
    assert "no conflicts" in capsys.readouterr().out
    path = content / "entries" / "ho-so.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("hs khen thuong gom gi", "hs khen gom gi"),
                    encoding="utf-8")
    assert cli.main(["content", "conflicts"]) == 1
    assert "entry ho-so-gom: edited by the Office (version 1) and changed in the repository since" in \
        capsys.readouterr().out
    assert cli.main(["content", "check"]) == 0
    said = capsys.readouterr().out
    assert "the Office's edits load over it: 2 entries edited, content version 2" in said
    assert "entry ho-so-gom: edited by the Office" in said
    assert "hs khen thuong gom gi" in load(content, app.knowledge.edits.overlay().entries).by_id["ho-so-gom"].questions
