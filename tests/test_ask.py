"""`python -m bot ask --json`: one JSON object per input line, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from content.ranker import default_cache_dir
from tests.incli import run_cli
from tests.procs import clean_env

ROOT = Path(__file__).resolve().parent.parent
# HOME is a fresh folder in these runs; the learned ranker's cache stays the user's, as in the
# other tests, or every `ask` reading the Office's edits would train it again (seconds each).
RANKER_CACHE = str(default_cache_dir())


def ask(lines: list[str], tmp_path: Path, *extra: str) -> list[dict]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": str(ROOT), "RANKER_CACHE_DIR": RANKER_CACHE}
    proc = run_cli(["ask", "--json", *extra], tmp_path, env, "".join(f"{q}\n" for q in lines))
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_one_object_per_line_in_order_and_nothing_written(tmp_path: Path):
    hostile = ["", "x" * 10_000, "😀🙏🎉", "<script>alert('x')</script>", "What is the capital of France?",
               "ho so huan chuong lao dong gom nhung gi"]
    out = ask(hostile, tmp_path)
    assert len(out) == len(hostile)
    for obj in out:
        assert set(obj) == {"kind", "text", "entry", "score", "sources"}
        assert obj["kind"] in {"answer", "clarify", "fallback"} and obj["text"].strip()
    assert [o["kind"] for o in out[:5]] == ["fallback"] * 5
    assert "10.000" in out[1]["text"]
    assert out[5]["kind"] == "answer" and "05 bộ" in out[5]["text"] and out[5]["sources"]
    assert not (tmp_path / "data").exists()


def test_question_as_argument(tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = run_cli(["ask", "giấy", "khen", "nộp", "mấy", "bộ"], tmp_path, env)
    assert proc.returncode == 0 and "01 bộ" in proc.stdout


def test_scores_do_not_depend_on_the_hash_seed():
    # "thì" and "thi" fold alike; which of them counted used to follow set order.
    question = "Bao lâu thì sơ kết, tổng kết công tác thi đua khen thưởng?"
    outputs = set()
    # Two processes (a hash seed is fixed when Python starts), run side by side.
    runs = [subprocess.Popen([sys.executable, "-m", "bot", "ask", "--json", question],
                             env=clean_env(PYTHONHASHSEED=seed), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for seed in ("1", "3")]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        outputs.add(out)
    assert len(outputs) == 1


def test_explain_shows_parts_sources_features_and_the_decision(tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "RANKER_CACHE_DIR": RANKER_CACHE}
    question = "Hồ sơ HCLĐ nộp mấy bộ? Còn bằng khen VKSTC thì mấy bộ?"
    proc = run_cli(["ask", "--explain", question], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    trace = proc.stdout[proc.stdout.index("Message: "):]
    assert "05 bộ" in proc.stdout[:proc.stdout.index("Message: ")]  # the answer itself comes first
    part1, part2 = trace.split("Part 1: ")[1].split("Part 2: ")
    assert part1.startswith("Hồ sơ HCLĐ nộp mấy bộ?") and part2.startswith("Còn bằng khen VKSTC thì mấy bộ?")
    for part, entry in [(part1, "ho-so-hcld"), (part2, "ho-so-bk-vkstc")]:
        lines = {line.split(":")[0].strip(): line for line in part.splitlines() if ":" in line}
        assert lines["lexical"].split(": ")[1].startswith(entry)  # each source: entries with scores
        assert lines["ranker"].split(": ")[1].startswith(entry)
        assert "bm25 (taken only when clear)" in lines
        for feature in ("score=", "coverage=", "gap=", "words=", "ranker_p=", "ranker_outside=", "not_covered="):
            assert feature in lines["features"]
        assert lines["decision"].split(": ", 1)[1].startswith(f"answer {entry} (score ")
        assert "from the answer threshold" in lines["decision"] and "named first by: lexical" in lines["decision"]


def test_explain_with_the_offices_edits_names_the_out_of_scope_example(tmp_path: Path):
    """A question the Office marked "not our subject": `ask --office-edits --explain` declines it
    as the bot does and says which example decided it; plain `ask` (the repository's content) does not."""
    from storage import db
    from storage.content_edits import OUT_OF_SCOPE, EditStore

    url = f"sqlite:///{tmp_path / 'data' / 'bot.sqlite3'}"
    (tmp_path / "data").mkdir()
    db.upgrade(url)
    engine = db.make_engine(url)
    # The group tests/test_web_curation.py and tests/test_content_edits.py mark: the ranker learns it,
    # and one training serves the three.
    EditStore(engine).decide(OUT_OF_SCOPE, ["thủ tục cấp thẻ ngành kiểm sát", "thu tuc cap the nganh kiem sat"],
                             "zalo:officer")
    engine.dispose()
    question = "cho em hỏi thủ tục cấp thẻ ngành kiểm sát như thế nào ạ"
    assert ask([question], tmp_path)[0]["kind"] == "answer"
    assert ask([question], tmp_path, "--office-edits")[0]["kind"] == "fallback"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT),
           "RANKER_CACHE_DIR": RANKER_CACHE}
    proc = run_cli(["ask", "--office-edits", "--explain", question], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert "out-of-scope example «thủ tục cấp thẻ ngành kiểm sát» decided it" in proc.stdout
