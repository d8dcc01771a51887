"""The Office's edits to the content (issue 23): saved as versions over the repository's
YAML, checked as `content check` does (problems per field, in Vietnamese, nothing saved),
two officers on one entry (the second is told, with the difference), going back to any
version, trying an edit on a question before saving, the unanswered questions grouped
and decided, and an upgrade of the repository that touches an edited entry."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.app import App
from content import DEFAULT_CONTENT_DIR
from content.entry_problems import GENERAL, entry_data
from content.service import Knowledge
from handlers.curation_service import Curation
from storage import db
from storage.content_edits import Conflict, EditStore
from storage.models import OfficeQuestion, QuestionLog
from tests.conftest import FIXTURE_CONTENT
from tests.people import person

PLANS = Path(__file__).parent / "fixtures" / "plans"
ALICE, BOB = "telegram:111", "telegram:222"
NEW_Q = "hạn chót nộp báo cáo sơ kết là ngày nào"
SMALL_ENTRY = "ho-so-hcld"  # of tests/fixtures/content


@pytest.fixture
def cur(app: App) -> Curation:
    return Curation(app.knowledge, app.knowledge.edits, app.repo)


@pytest.fixture
def small_cur(app: App) -> Curation:
    """The Office's edits over the tests' small content, where the learned ranker trains in
    milliseconds: the tests using it check when it is trained, not what the real content teaches."""
    knowledge = Knowledge(FIXTURE_CONTENT, app.knowledge.edits)
    return Curation(knowledge, knowledge.edits, app.repo)


def _form(cur: Curation, entry_id: str) -> dict:
    return entry_data(cur.entry(entry_id).entry)


def test_a_saved_phrasing_is_answered_and_recorded(cur: Curation):
    assert cur.knowledge.match(NEW_Q).kind == "fallback"
    form = _form(cur, "ho-so-gom")
    form["questions"] = "\n".join([*form["questions"], NEW_Q])  # the form's textarea: one phrasing a line
    result = cur.save(form, ALICE, 0, by_name="Chị Lan")
    assert result.saved and result.version == 1 and result.problems == {}
    assert cur.knowledge.version == 1
    m = cur.knowledge.match(NEW_Q)
    assert m.kind == "answer" and m.entry.id == "ho-so-gom"
    view = cur.entry("ho-so-gom")
    assert view.version == 1 and view.repository is not None and NEW_Q not in view.repository.questions
    [item] = view.history
    assert (item.by, item.by_name, item.kind) == (ALICE, "Chị Lan", "edit") and NEW_Q in item.data["questions"]
    assert [s for s in cur.entries("ho so gom") if s.id == "ho-so-gom"][0].edited


def test_a_save_trains_the_ranker_before_the_swap_only_where_one_was_needed(small_cur: Curation):
    """A reload trains the learned ranker before the new version is swapped in when the
    current version's ranker was built (a message needed it): the next such message finds it
    ready. An instance that has not needed one trains it when first needed, with the save in
    it, and the save costs it no training."""
    cur, knowledge = small_cur, small_cur.knowledge
    assert not knowledge.matcher.ranker_ready
    form = _form(cur, SMALL_ENTRY)
    form["examples"] = "\n".join([*form.get("examples", []), "", "zubrovka đơn vị em làm hồ sơ lần đầu thì cần chuẩn bị giấy tờ gì"])
    assert cur.save(form, ALICE, 0).saved and knowledge.version == 1
    assert not knowledge.matcher.ranker_ready  # nothing had needed it: the save trained nothing
    assert knowledge.matcher.ranker.rank("zubrovka", 1)[0].entry_id == SMALL_ENTRY  # trained now, with the save
    assert cur.add_phrasing([NEW_Q], SMALL_ENTRY, ALICE).saved and knowledge.version == 2
    assert knowledge.matcher.ranker_ready  # it had been needed: trained before the swap


def test_saved_examples_train_the_ranker_on_reload_and_leave_the_phrasings(small_cur: Curation):
    """The form's "Cách cán bộ hay viết" (an entry's `examples`, one a line): saved like the
    phrasings, read by the retrained ranker, not by the lexical index; the history names the field."""
    cur = small_cur
    written = "zubrovka đơn vị em làm hồ sơ lần đầu thì cần chuẩn bị giấy tờ gì"
    before = cur.knowledge.kb.by_id[SMALL_ENTRY]
    assert "zubrovka" not in cur.knowledge.matcher.index.idf
    form = _form(cur, SMALL_ENTRY)
    form["examples"] = "\n".join([*form.get("examples", []), "", written])  # the textarea: one a line, blank lines dropped
    assert cur.save(form, ALICE, 0).saved
    now = cur.knowledge.kb.by_id[SMALL_ENTRY]
    assert now.examples == [*before.examples, written] and now.questions == before.questions
    assert cur.knowledge.matcher.ranker.rank("zubrovka", 1)[0].entry_id == SMALL_ENTRY
    assert "zubrovka" not in cur.knowledge.matcher.index.idf
    [change] = cur.changes(SMALL_ENTRY, 1)
    assert (change.field, change.label) == ("examples", "Cách cán bộ hay viết")
    # A phrasing added from the unanswered list keeps the examples.
    assert cur.add_phrasing([NEW_Q], SMALL_ENTRY, ALICE).saved
    assert cur.knowledge.kb.by_id[SMALL_ENTRY].examples == now.examples


def test_an_edit_that_fails_the_checks_is_refused_whole_with_problems_per_field(cur: Curation):
    form = _form(cur, "ho-so-gom")
    form.update(title="  ", related=["khong-co-muc-nay"], short="Dài. " * 100, questions=[])
    result = cur.save(form, ALICE, 0)
    assert not result.saved and result.version is None
    assert set(result.problems) >= {"title", "questions"}
    assert result.problems["title"] == ["Chưa điền."]
    assert result.problems["questions"] == ["Cần ít nhất một cách hỏi."]
    # Once the shape is right, the checks across the content speak, beside their fields.
    form = _form(cur, "ho-so-gom")
    form.update(related=["khong-co-muc-nay"], short="Hồ sơ gồm tờ trình:", topic="khong-co")
    problems = cur.save(form, ALICE, 0).problems
    assert problems["related"] == ["Mục liên quan “khong-co-muc-nay” không có."]
    assert problems["topic"] == ["Chủ đề “khong-co” không có trong danh sách chủ đề."]
    assert any("dấu hai chấm" in p for p in problems["short"])
    assert cur.edits.count() == 0 and cur.knowledge.version == 0


def test_content_verify_checks_the_edit_when_the_plans_are_given(app: App):
    cur = Curation(app.knowledge, app.knowledge.edits, app.repo, sources_dir=PLANS)
    form = _form(cur, "thu-tuc-don-gian")
    form["source"] = "KH 515/KH-VKS, mục IV.9"
    problems = cur.save(form, ALICE, 0).problems
    assert any("IV.9" in p for p in problems["source"]), problems
    assert cur.edits.count() == 0


def test_two_officers_on_one_entry_the_second_is_told_the_difference(cur: Curation):
    opened = cur.entry("ho-so-gom").version  # both open the form at version 0
    alice, bob = _form(cur, "ho-so-gom"), _form(cur, "ho-so-gom")
    alice["title"] = "Hồ sơ đề nghị khen thưởng gồm những giấy tờ gì"
    bob["keywords"] = [*bob.get("keywords", []), "hồ sơ cần nộp"]
    assert cur.save(alice, ALICE, opened).saved
    second = cur.save(bob, BOB, opened)
    assert not second.saved and second.conflict is not None
    c = second.conflict
    assert (c.base_version, c.current_version, c.by) == (0, 1, ALICE)
    changed = {ch.field: ch for ch in c.changes}
    assert changed["title"].theirs == alice["title"] and changed["title"].mine == bob["title"]
    assert "hồ sơ cần nộp" in changed["keywords"].mine and "hồ sơ cần nộp" not in changed["keywords"].theirs
    assert cur.edits.count() == 1
    # Saving on top of the other's version goes through.
    assert cur.save({**bob, "title": alice["title"]}, BOB, c.current_version).saved


def test_the_store_lets_one_of_two_simultaneous_saves_through(app: App):
    _one_of_four_saves(app.knowledge.edits)


def test_the_store_lets_one_of_two_simultaneous_saves_through_on_postgresql(pg_url: str):
    db.upgrade(pg_url)
    engine = db.make_engine(pg_url)
    try:
        _one_of_four_saves(EditStore(engine))
    finally:
        engine.dispose()


def _one_of_four_saves(edits: EditStore) -> None:
    data = {"id": "ho-so-gom", "topic": "ho-so"}  # the store keeps what the service checked
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def save(n: int) -> None:
        barrier.wait()
        try:
            edits.save("ho-so-gom", {**data, "title": f"Tiêu đề {n}"}, base_version=0, by=f"telegram:{n}",
                       repo_hash=None)
            outcomes.append("saved")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 3 + ["saved"]


def test_going_back_to_any_version_is_one_more_version(cur: Curation):
    original = cur.knowledge.kb.by_id["ho-so-gom"].title
    for n in (1, 2):
        form = _form(cur, "ho-so-gom")
        form["title"] = f"Tiêu đề thứ {n}"
        assert cur.save(form, ALICE, cur.entry("ho-so-gom").version).saved
    back = cur.revert("ho-so-gom", 1, BOB)
    assert back.saved and back.version == 3
    assert cur.knowledge.kb.by_id["ho-so-gom"].title == "Tiêu đề thứ 1"
    assert cur.revert("ho-so-gom", 0, BOB).version == 4
    assert cur.knowledge.kb.by_id["ho-so-gom"].title == original
    history = cur.entry("ho-so-gom").history
    assert [h.version for h in history] == [4, 3, 2, 1] and history[0].data is None and history[0].kind == "revert"
    assert not cur.revert("ho-so-gom", 99, BOB).saved
    [change] = cur.changes("ho-so-gom", 2)
    assert (change.field, change.base, change.mine) == ("title", "Tiêu đề thứ 1", "Tiêu đề thứ 2")
    assert [c.field for c in cur.changes("ho-so-gom", 4)] == ["title"] and cur.changes("ho-so-gom", 4)[0].mine == original
    assert ("ho-so", "Hồ sơ - thủ tục") in cur.topics()


def test_preview_answers_with_the_edit_and_saves_nothing(cur: Curation):
    form = _form(cur, "ho-so-gom")
    form["questions"] = [*form["questions"], NEW_Q]
    tried = cur.preview(form, NEW_Q)
    assert tried.problems == {} and tried.kind == "answer" and tried.entry_id == "ho-so-gom"
    assert "tờ trình" in tried.text.lower()
    assert cur.edits.count() == 0 and cur.knowledge.match(NEW_Q).kind == "fallback"
    broken = cur.preview({**form, "answer": ""}, NEW_Q)
    assert broken.kind is None and broken.problems["answer"] == ["Chưa điền."]


def test_unanswered_grouped_and_the_three_decisions(cur: Curation, app: App):
    asker = person(app.repo, "zalo", "900", "Anh Minh")
    with Session(app.repo.engine) as s:
        for text in (NEW_Q, "han chot nop bao cao so ket la ngay nao", NEW_Q,
                     "bánh chưng xanh thi đua ra sao", "con mèo nhà tôi thi đua tên là gì"):
            s.add(QuestionLog(user_id=asker.id, channel="zalo", text=text, normalized="", outcome="fallback"))
        s.add(OfficeQuestion(user_id=asker.id, channel="zalo", chat_id="900", question="mẫu tờ trình lấy ở đâu",
                             status="answered", answer="Ở Văn phòng"))
        s.commit()
    groups = cur.unanswered()
    top = groups[0]
    assert top.text == NEW_Q and top.count == 3 and "han chot nop bao cao so ket la ngay nao" in top.texts
    office = next(g for g in groups if g.text == "mẫu tờ trình lấy ở đâu")
    assert office.from_office == 1 and office.suggested_entry is not None

    assert cur.add_phrasing(top.texts, "ho-so-gom", ALICE).saved
    assert cur.knowledge.match(NEW_Q).entry.id == "ho-so-gom"
    new = cur.new_entry(office.texts, {
        "id": "mau-to-trinh", "topic": "ho-so", "title": "Mẫu tờ trình đề nghị khen thưởng",
        "questions": "mẫu tờ trình lấy ở đâu\nxin mẫu tờ trình khen thưởng",
        "answer": "Mẫu tờ trình đề nghị khen thưởng do Văn phòng VKSND tỉnh cung cấp.",
        "source": "KH 515/KH-VKS, mục V"}, ALICE)
    assert new.saved, new.problems
    assert cur.entry("mau-to-trinh").repository is None
    assert cur.knowledge.match("xin mẫu tờ trình khen thưởng").entry.id == "mau-to-trinh"
    cake = next(g for g in cur.unanswered() if g.text == "bánh chưng xanh thi đua ra sao")
    cur.not_our_subject(cake.texts, BOB)
    left = [g.text for g in cur.unanswered()]
    assert left == ["con mèo nhà tôi thi đua tên là gì"]
    assert cur.out_of_scope_examples() == ["bánh chưng xanh thi đua ra sao"]


def test_an_upgrade_touching_an_edited_entry_keeps_the_offices_version_and_lists_it(app: App, tmp_path: Path):
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    knowledge = Knowledge(content, app.knowledge.edits)
    cur = Curation(knowledge, app.knowledge.edits, app.repo)
    form = _form(cur, "ho-so-gom")
    form["title"] = "Tiêu đề của Văn phòng"
    assert cur.save(form, ALICE, 0).saved
    assert cur.upstream_conflicts() == []
    path = content / "entries" / "ho-so.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "title: Hồ sơ đề nghị khen thưởng gồm những gì", "title: Hồ sơ gồm những gì (bản mới)"), encoding="utf-8")
    knowledge.reload()  # the upgraded repository, the Office's edits over it
    assert knowledge.kb.by_id["ho-so-gom"].title == "Tiêu đề của Văn phòng"
    [conflict] = cur.upstream_conflicts()
    assert conflict.entry_id == "ho-so-gom" and conflict.repository["title"] == "Hồ sơ gồm những gì (bản mới)"


def test_a_turn_reads_one_version_whatever_reloads_meanwhile(cur: Curation):
    knowledge = cur.knowledge
    with knowledge.pinned() as seen:
        form = _form(cur, "ho-so-gom")
        form["title"] = "Tiêu đề mới"
        assert cur.save(form, ALICE, 0).saved  # reloads this very Knowledge
        assert knowledge.current is seen and knowledge.kb.by_id["ho-so-gom"].title != "Tiêu đề mới"
    assert knowledge.kb.by_id["ho-so-gom"].title == "Tiêu đề mới"


def test_new_version_seen_by_another_knowledge_on_refresh(app: App):
    other = Knowledge(DEFAULT_CONTENT_DIR, EditStore(app.repo.engine))
    cur = Curation(app.knowledge, app.knowledge.edits, app.repo)
    assert other.refresh() is False
    form = _form(cur, "ho-so-gom")
    form["questions"] = [*form["questions"], NEW_Q]
    assert cur.save(form, ALICE, 0).saved
    assert other.refresh() is True and other.version == 1
    assert other.match(NEW_Q).entry.id == "ho-so-gom"
    assert GENERAL == ""


def test_answers_while_the_office_saves_come_each_from_one_whole_version(app: App, talk):  # noqa: ANN001
    """Saves (each reloading the content) run while a staff member keeps asking: every reply
    names one version in its title and its answer, never the title of one and the answer of another."""
    cur = Curation(app.knowledge, app.knowledge.edits, app.repo)
    base = _form(cur, "so-bo-ho-so")
    stop = threading.Event()

    def office() -> None:
        n = 0
        while not stop.is_set() and n < 6:
            n += 1
            form = {**base, "title": f"Số bộ hồ sơ (bản {n})", "short": f"Bản {n}: số bộ hồ sơ theo từng hình thức."}
            assert cur.save(form, ALICE, cur.entry("so-bo-ho-so").version).saved

    saver = threading.Thread(target=office)
    saver.start()
    seen = set()
    try:
        while saver.is_alive():
            replies = talk(base["questions"][0], user="u-live")
            text = " ".join(r.full_text for r in replies)
            titles = set(re.findall(r"\(bản (\d+)\)", text))
            answers = set(re.findall(r"Bản (\d+):", text))
            assert len(titles) <= 1 and titles == answers, text[:200]
            seen |= titles
    finally:
        stop.set()
        saver.join()
    assert len(seen) >= 2, seen  # the replies did follow the saves


# A question outside the content that the bot answers with a wrong entry today
# (cai-cach-thu-tuc-hanh-chinh), and one it offers a choice for.
CARD = "thủ tục cấp thẻ ngành kiểm sát"
CARD_REWORDED = "cho em hỏi thủ tục cấp thẻ ngành kiểm sát như thế nào ạ"
IN_SCOPE = "hồ sơ đề nghị bằng khen gồm những gì"


def test_a_group_marked_not_our_subject_is_declined_with_its_rewordings(cur: Curation, app: App, talk):  # noqa: ANN001
    from content.explain import explain
    from handlers import texts

    before = {q: cur.knowledge.read(q).parts[0][1].kind for q in (CARD, CARD_REWORDED, IN_SCOPE, "thủ tục cấp thẻ ngành")}
    assert before == {CARD: "answer", CARD_REWORDED: "answer", IN_SCOPE: "answer", "thủ tục cấp thẻ ngành": "clarify"}
    version = cur.knowledge.version
    cur.not_our_subject([CARD, "thu tuc cap the nganh kiem sat"], BOB)
    assert cur.knowledge.version > version  # a new content version: every instance loads it at its poll
    assert cur.knowledge.kb.out_of_scope == (CARD, "thu tuc cap the nganh kiem sat")
    for q in (CARD, CARD_REWORDED, "Thủ tục cấp thẻ ngành Kiểm sát?"):
        result = cur.knowledge.read(q).parts[0][1]
        assert (result.kind, result.entry, result.out_of_scope) == ("fallback", None, CARD), q
    # A part of it, and a question the content answers, are untouched.
    assert cur.knowledge.read("thủ tục cấp thẻ ngành").parts[0][1].kind == "clarify"
    assert cur.knowledge.read(IN_SCOPE).parts[0][1].kind == "answer"
    assert cur.knowledge.read("cải cách thủ tục hành chính là gì").parts[0][1].entry.id == "cai-cach-thu-tuc-hanh-chinh"
    assert f"out-of-scope example «{CARD}» decided it" in explain(cur.knowledge, CARD_REWORDED).text()
    # The learned ranker learns the marks with content/out_of_scope.yaml: its share for messages the plans
    # do not answer is 0.60 for the rewording without them.
    assert cur.knowledge.matcher.ranker.outside(CARD_REWORDED) > 0.7
    [reply] = talk(CARD_REWORDED, user="u-card")
    assert reply.text == texts.FALLBACK and reply.choices[0].label == texts.MENU_ASK_OFFICE
    # Still a group the Office dealt with; the export of the content leaves the examples in the database.
    assert cur.out_of_scope_examples() == [CARD, "thu tuc cap the nganh kiem sat"]


def test_the_examples_without_any_marked_change_nothing(cur: Curation):
    from content.out_of_scope import OutOfScope

    # Without marks, the examples declined are content/out_of_scope.yaml's alone.
    assert cur.knowledge.kb.out_of_scope == ()
    assert [e for e, _ in cur.knowledge.dialogue.out_of_scope.examples] == list(cur.knowledge.kb.outside)
    examples = OutOfScope(["bánh chưng xanh thi đua ra sao"])
    assert examples.example_for("cho em hỏi bánh chưng xanh thi đua thế nào ạ") is not None
    assert examples.example_for("banh chung xah thi dua ra sao") is not None
    assert examples.example_for("thi đua ra sao") is None  # shares a part only: may well be ours
    assert examples.example_for("hội thao thi đua ra sao") is None
    # The opposite question, and another document's number, are other questions.
    simple = OutOfScope(["hồ sơ khen thưởng theo thủ tục đơn giản gồm những gì ở cấp xã"])
    assert simple.example_for("hồ sơ khen thưởng không theo thủ tục đơn giản gồm những gì ở cấp xã") is None
    assert OutOfScope(["Thông tư 01/2020/TT-VKSTC ban hành ngày nào?"]).example_for(
        "Thông tư 01/2019/TT-VKSTC ban hành ngày nào?") is None


def test_two_officers_marking_at_once_both_examples_are_kept(app: App):
    _four_marked_at_once(app.knowledge.edits)


def test_two_officers_marking_at_once_both_examples_are_kept_on_postgresql(pg_url: str):
    db.upgrade(pg_url)
    engine = db.make_engine(pg_url)
    try:
        _four_marked_at_once(EditStore(engine))
    finally:
        engine.dispose()


def _four_marked_at_once(edits: EditStore) -> None:
    barrier = threading.Barrier(4)

    def mark(i: int) -> None:
        barrier.wait()
        edits.decide("out_of_scope", [f"câu hỏi số {i}"], ALICE)

    threads = [threading.Thread(target=mark, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other = Knowledge(DEFAULT_CONTENT_DIR, edits)
    assert sorted(other.kb.out_of_scope) == [f"câu hỏi số {i}" for i in range(4)]
