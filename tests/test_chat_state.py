"""The conversation state, typed (storage/state.py): read and written in one place."""

from __future__ import annotations

from storage.state import VERSION, ChatState


def test_a_state_round_trips_with_its_version():
    state = ChatState(choices=[{"id": "menu", "label": "Menu chính"}], flow={"name": "ask_office", "step": "question"},
                      last_entries=["hs-bk-ttg"], fallback_question="hỏi gì đó")
    data = state.dump()
    assert data["v"] == VERSION
    assert ChatState.load(data) == state


def test_a_state_stored_before_versions_reads_the_same():
    old = {"choices": [{"id": "e:x", "label": "X"}], "about": ["bang-khen", "ho-so"], "pages": {"items": [], "tail": [],
                                                                                                 "next": 0}}
    state = ChatState.load(old)
    assert state.choices == old["choices"] and state.about == old["about"] and state.pages == old["pages"]
    assert state.dump() == {**old, "v": VERSION}


def test_keys_of_a_newer_version_are_kept_and_bad_shapes_read_as_defaults():
    state = ChatState.load({"v": 2, "later_key": {"x": 1}, "choices": "not a list", "flow": [1], "last_entries": [1, "a"],
                            "fallback_question": 5})
    assert state.choices == [] and state.flow is None and state.last_entries == ["a"] and state.fallback_question is None
    assert state.dump()["later_key"] == {"x": 1}


def test_clear_forgets_everything():
    state = ChatState(flow={"name": "report", "step": "story"}, invite_tries={"wrong": [], "until": None})
    state.clear()
    assert state == ChatState()
