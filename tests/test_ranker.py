"""The learned ranker (content/ranker.py): what it scores is what scikit-learn fitted,
training is deterministic, and a cached model is loaded, not trained again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from content.loader import load
from content.ranker import Ranker, content_hash, features, training_texts

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def entries():
    # A few entries keep training well under a second.
    return load(ROOT / "content").entries[:12]


def test_scoring_without_sklearn_matches_the_fitted_pipeline(entries):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from content import ranker as module

    texts, labels = training_texts(entries)
    ours = Ranker.fit(texts, labels)
    vec = TfidfVectorizer(analyzer=features, sublinear_tf=True)
    model = LogisticRegression(C=module.C, tol=module.TOL, max_iter=500).fit(vec.fit_transform(texts), labels)
    for text in ["hồ sơ nộp mấy bộ", "ho so bk ttg nop may bo", entries[3].questions[0], "xyz"]:
        expected = model.predict_proba(vec.transform([text]))[0]
        assert np.allclose(ours.probabilities(text), expected, atol=1e-4)


def test_training_is_deterministic_and_cached_by_the_content(entries, tmp_path, monkeypatch):
    first = Ranker.for_entries(entries, tmp_path)
    texts, labels = training_texts(entries)
    assert (tmp_path / f"ranker-{content_hash(texts, labels)}.npz").exists()
    assert np.array_equal(Ranker.fit(texts, labels).coef, first.coef)

    def no_training(*_args):  # noqa: ANN202
        raise AssertionError("trained again although the content is unchanged")

    monkeypatch.setattr(Ranker, "fit", classmethod(no_training))
    again = Ranker.for_entries(entries, tmp_path)
    question = entries[0].questions[0]
    assert [r.entry_id for r in again.rank(question, 3)] == [r.entry_id for r in first.rank(question, 3)]
    assert again.rank(question, 1)[0].entry_id == entries[0].id
    # Other content is another model: it is trained, not taken from the cache.
    with pytest.raises(AssertionError, match="trained again"):
        Ranker.for_entries(entries[:6], tmp_path)


def test_examples_train_the_ranker_but_not_the_lexical_index(entries):
    """`examples` (how staff write, content/schema.py) are training texts of the ranker;
    the lexical index reads the title, phrasings, keywords and answer only."""
    from dataclasses import replace

    from content.matcher import Matcher

    kb = load(ROOT / "content")
    target = entries[4]
    example = "đơn vị em đang làm hồ sơ zubrovka cho đợt này thì hỏi ai"
    mine = [e.model_copy(update={"examples": [*e.examples, example]}) if e.id == target.id else e for e in entries]

    texts, labels = training_texts(mine)
    assert (example, target.id) in zip(texts, labels, strict=True)
    assert len(texts) == len(training_texts(entries)[0]) + 1
    assert Ranker.fit(texts, labels).rank("zubrovka", 1)[0].entry_id == target.id

    index = Matcher(replace(kb, entries=mine)).index
    assert "zubrovka" not in index.idf
    assert not any("zubrovka" in t for t in index.phrasing_texts)
    # One phrasing text per title and question: the examples add none.
    assert len(index.phrasing_texts) == sum(1 + len(e.questions) for e in mine)
