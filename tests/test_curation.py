"""The curators' tools: `unanswered` lists the real gaps first, grouped, leaving out
small talk, commands, text without letters and nonsense; `stats`; question logs
older than QUESTION_LOG_DAYS are deleted by the hourly prune."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from bot import cli, scheduler
from bot.settings import load_settings
from content.curation import Filter
from storage import db
from storage.files import FileStore
from storage.models import QuestionLog, utcnow
from storage.repo import Repository
from tests.conftest import REAL_CONTENT, shared_knowledge

# Twenty questions the content does not answer, several typed in more than one way.
GAPS = [
    ["chiến sĩ thi đua cơ sở", "chien si thi dua co so", "Chiến sĩ thi đua cơ sở là gì ạ"],
    ["bk ttg được thưởng bao nhiêu tiền", "bằng khen thủ tướng được thưởng bao nhiêu tiền",
     "bang khen thu tuong duoc thuong bao nhieu tien"],
    ["hạn chót nộp hồ sơ", "han chot nop ho so", "hạn chót nộp hồ sơ là khi nào"],
    ["cờ thi đua của chính phủ", "co thi dua cua chinh phu"],
    ["danh hiệu lao động tiên tiến", "danh hieu lao dong tien tien"],
    ["tập thể lao động xuất sắc xét thế nào", "tap the lao dong xuat sac xet the nao"],
    ["kỷ niệm chương vì sự nghiệp kiểm sát", "ky niem chuong vi su nghiep kiem sat"],
    ["đăng ký thi đua đầu năm", "dang ky thi dua dau nam"],
    ["mẫu báo cáo thành tích", "mau bao cao thanh tich"],
    ["bình xét thi đua cuối năm"],
    ["khen thưởng theo niên hạn"],
    ["hồ sơ chiến sĩ thi đua toàn quốc"],
    ["xếp loại thi đua đơn vị"],
    ["phụ cấp cho người làm công tác thi đua"],
    ["thời hạn giải quyết hồ sơ khen thưởng"],
    ["giấy chứng nhận sáng kiến"],
    ["khen thưởng cho người nghỉ hưu"],
    ["mức tiền thưởng giấy khen"],
    ["lương cơ sở năm nay"],
    ["thủ tục làm hộ chiếu"],
]
# Asked more often than any gap: what used to top the list.
NOISE = ["em cảm ơn", "cảm ơn bot nhiều nhé", "dạ vâng", "quay lại", "menu", "/start", "123", "???", "asdfgh",
         "qwerty zxcv", "thời tiết hôm nay thế nào"]


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repository:
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT)
    db.upgrade(settings.db_url)
    repo = Repository(db.make_engine(settings.db_url))
    knowledge = shared_knowledge()
    start = utcnow() - timedelta(days=2)
    rows = []
    for i, text in enumerate([t for t in NOISE for _ in range(4)] + [v for g in GAPS for v in g]):
        found = knowledge.match(text)
        rows.append(QuestionLog(channel="zalo", text=text, normalized=found.normalized, outcome="fallback",
                                entry_id=found.candidates[0].entry.id if found.candidates else None,
                                score=found.score, created_at=start + timedelta(minutes=i)))
    with repo.session() as s:
        s.add_all(rows)
        s.commit()
    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    return repo


def test_unanswered_lists_the_real_gaps_first_grouped(seeded: Repository, capsys: pytest.CaptureFixture):
    assert cli.main(["unanswered", "--limit", "50"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Câu hỏi chưa trả lời được: 20 câu, 32 lượt hỏi"
    listed = [x for x in lines[2:] if x[:4].strip().isdigit()]
    assert len(listed) == 20
    # Each gap once, its spellings counted together; the most asked first.
    for gap in GAPS:
        [line] = [x for x in listed if any(f"  {v}  [" in x for v in gap)]
        assert line.split()[0] == str(len(gap)), line
    assert [int(x.split()[0]) for x in listed] == sorted((len(g) for g in GAPS), reverse=True)
    assert "cách viết khác: " in out and "chien si thi dua co so" in out
    # Nothing of the noise is listed; what was left out is counted, by reason.
    body = "\n".join(lines[:lines.index(next(x for x in lines if x.startswith("Đã bỏ qua")))])
    assert not any(f"  {n}  [" in body or body.endswith(f"  {n}") for n in NOISE)
    assert ("Đã bỏ qua 44 dòng không phải câu hỏi: 16 giao tiếp, chuyện ngoài lề; 12 lệnh; "
            "8 không có chữ; 8 không thành chữ.") in out
    assert "[ho-so-bk-ttg, " in out  # the closest entry and its score


def test_unanswered_says_how_many_rows_the_limit_left_out_and_writes_csv(seeded: Repository,
                                                                          capsys: pytest.CaptureFixture):
    assert cli.main(["unanswered", "--limit", "5"]) == 0
    assert "... và 15 dòng nữa không hiển thị" in capsys.readouterr().out
    assert cli.main(["unanswered", "--csv"]) == 0
    got = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(got.out)))
    assert rows[0] == ["so_lan", "lan_cuoi", "cau_hoi", "cach_viet_khac", "muc_gan_nhat", "diem"]
    assert len(rows) == 21 and rows[1][0] == "3"
    assert "Đã bỏ qua 44 dòng" in got.err


def test_the_filter_reads_small_talk_commands_and_nonsense(tmp_path: Path):
    keep = Filter.load(REAL_CONTENT)
    assert {t: keep.reason(t) for t in ("em cảm ơn", "quay lại", "/huy", "12/12", "asdfgh", "thời tiết Tây Ninh")} \
        == {"em cảm ơn": "giao tiếp, chuyện ngoài lề", "quay lại": "lệnh", "/huy": "lệnh", "12/12": "không có chữ",
            "asdfgh": "không thành chữ", "thời tiết Tây Ninh": "giao tiếp, chuyện ngoài lề"}
    assert all(keep.reason(t) is None for t in ("hcld mấy bộ", "cảm ơn, cho em hỏi hồ sơ khen", "What is a medal"))
    # The lists are the content's: another folder, other words.
    (tmp_path / "curation.yaml").write_text("typed_commands: [về đầu]\nchit_chat: [giá vàng]\n", encoding="utf-8")
    other = Filter.load(tmp_path)
    assert other.reason("về đầu") == "lệnh" and other.reason("giá vàng hôm nay") is not None
    assert other.reason("quay lại") is None


def test_stats_counts_days_outcomes_and_the_entries_asked_most(seeded: Repository, capsys: pytest.CaptureFixture):
    with seeded.session() as s:
        for entry in ("ho-so-bk-ttg", "ho-so-bk-ttg", "so-bo-ho-so"):
            s.add(QuestionLog(channel="telegram", text="hồ sơ", normalized="ho so", outcome="answer",
                              entry_id=entry, score=0.9))
        s.add(QuestionLog(channel="telegram", text="bk", normalized="bang khen", outcome="clarify",
                          entry_id="so-bo-ho-so", score=0.55))
        s.add(QuestionLog(channel="telegram", text="cũ", normalized="cu", outcome="answer", entry_id="ho-so-gom",
                          score=0.9, created_at=utcnow() - timedelta(days=60)))
        s.commit()
    assert cli.main(["stats", "--days", "7"]) == 0
    out = capsys.readouterr().out
    assert ": 80" in out.splitlines()[0]  # 44 + 32 seeded + 4 today; not the one of 60 days ago
    assert "trả lời 3 (4%)" in out and "hỏi lại (Ý đồng chí là...) 1 (1%)" in out
    assert "chưa trả lời được 76 (95%)" in out
    top = out[out.index("Mục được hỏi nhiều nhất"):].splitlines()
    assert top[1].split()[:2] == ["2", "ho-so-bk-ttg"] and "Hồ sơ đề nghị Bằng khen Thủ tướng" in top[1]
    assert "ho-so-gom" not in out


def test_old_question_logs_are_deleted_by_the_hourly_prune(seeded: Repository):
    with seeded.session() as s:
        s.add(QuestionLog(channel="zalo", text="cũ", normalized="cu", outcome="fallback",
                          created_at=utcnow() - timedelta(days=40)))
        s.commit()
    before = len(seeded.question_log())
    settings = load_settings(data_dir=Path("/nonexistent"), content_dir=REAL_CONTENT, question_log_days=30)

    class App:  # what the prune job reads
        repo = seeded
        files = FileStore(Path("/nonexistent"), seeded.engine)  # no files to look at

        class outbox:  # noqa: N801
            @staticmethod
            def prune(_keep: timedelta) -> int:
                return 0

    App.settings = settings
    asyncio.run(scheduler.prune(App))
    left = seeded.question_log()
    assert len(left) == before - 1 and all(r.text != "cũ" for r in left)
    assert seeded.prune_questions(timedelta(days=1)) == before - 1  # the seeded rows are two days old
