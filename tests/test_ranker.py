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

    # With messages the plans do not answer, each weighing OUTSIDE_WEIGHT.
    texts, labels = training_texts(entries, outside=["máy in phòng em hỏng báo ai", "mật khẩu email công vụ"])
    ours = Ranker.fit(texts, labels)
    vec = TfidfVectorizer(analyzer=features, sublinear_tf=True, dtype=np.float32)
    weights = [module.OUTSIDE_WEIGHT if label == module.OUTSIDE else 1.0 for label in labels]
    model = LogisticRegression(C=module.C, tol=module.TOL, max_iter=500, solver="newton-cg").fit(
        vec.fit_transform(texts), labels, sample_weight=weights)
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


def test_a_large_base_is_ranked_by_centroids_scored_as_a_dense_computation_would(entries, tmp_path, monkeypatch):
    """Above DENSE_WEIGHTS (entries x columns) the ranker is each entry's centroid; its
    scores are what the same computation gives over dense arrays (float16 storage aside)."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    from content import ranker as module

    texts, labels = training_texts(entries)
    monkeypatch.setattr(module, "DENSE_WEIGHTS", 0)
    ours = Ranker.for_entries(entries, tmp_path)
    assert ours.model.kind == "centroids"
    counts = CountVectorizer(analyzer=features).fit(texts)
    tf = counts.transform(texts).toarray().astype(float)
    tf[tf > 0] = 1 + np.log(tf[tf > 0])
    tf /= np.linalg.norm(tf, axis=1, keepdims=True)
    idf = TfidfVectorizer(analyzer=features, sublinear_tf=True, vocabulary=counts.vocabulary_).fit(texts).idf_
    ids = list(dict.fromkeys(labels))
    centroids = np.array([tf[[i for i, label in enumerate(labels) if label == e]].sum(axis=0) * idf for e in ids])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    query = TfidfVectorizer(analyzer=features, sublinear_tf=True, vocabulary=counts.vocabulary_).fit(texts)
    for text in ["hồ sơ nộp mấy bộ", "ho so bk ttg nop may bo", entries[3].questions[0], "xyz"]:
        logits = centroids @ query.transform([text]).toarray()[0] / module.TEMPERATURE
        expected = np.exp(logits - logits.max())
        expected /= expected.sum()
        got = dict(zip(ours.labels, ours.probabilities(text), strict=True))
        assert np.allclose([got[e] for e in ids], expected, atol=2e-3), text
    # Cached like the multinomial model: loaded, not trained again, and ranking alike.
    monkeypatch.setattr(Ranker, "fit", classmethod(lambda *_: (_ for _ in ()).throw(AssertionError("trained"))))
    again = Ranker.for_entries(entries, tmp_path)
    assert again.model.kind == "centroids"
    for e in entries:
        assert again.rank(e.questions[0], 3) == ours.rank(e.questions[0], 3)


def test_the_shipped_content_keeps_the_multinomial_model():
    """The real entries stay under DENSE_WEIGHTS (100 x 22,208 columns): their answers do not
    change; the centroids are for bases whose multinomial model would not fit in memory."""
    from content import ranker as module

    kb = load(ROOT / "content")
    texts, labels = training_texts(kb.entries)
    assert module._small_features(texts, len(kb.entries), module.DENSE_WEIGHTS) is not None


def test_the_cache_keeps_the_most_recently_used_models(entries, tmp_path):
    """Each version of the content (each save of the Office's) trains a model: the folder keeps
    the KEEP_MODELS most recently used, not every one ever made."""
    import os

    from content import ranker as module

    used = Ranker.for_entries(entries[:6], tmp_path)  # the model in use
    old = []
    for i in range(module.KEEP_MODELS + 3):
        path = tmp_path / f"ranker-old{i:02d}.npz"
        path.write_bytes(b"an old model")
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
        old.append(path)
    in_use = next(p for p in tmp_path.glob("ranker-*.npz") if p not in old)
    os.utime(in_use, (1_000, 1_000))  # made long ago...
    assert Ranker.for_entries(entries[:6], tmp_path).labels == used.labels  # ...and read now
    Ranker.for_entries(entries, tmp_path)  # a new version: trained, saved, and the folder pruned
    kept = set(tmp_path.glob("ranker-*.npz"))
    assert len(kept) == module.KEEP_MODELS
    assert in_use in kept and len(kept - set(old)) == 2
    assert kept & set(old) == set(old[-(module.KEEP_MODELS - 2):])  # the newest of the old ones


def test_a_version_is_trained_once_by_processes_that_share_the_folder(entries, tmp_path, monkeypatch):
    """Instances started together (or each reloading the Office's save) train a version once:
    the others wait for it and read what it wrote. Threads stand for the processes here:
    each opens the lock file itself, as another process would."""
    import threading

    fitted = []
    real_fit = Ranker.fit.__func__

    def counted(cls, texts, labels):  # noqa: ANN001, ANN202
        fitted.append(len(texts))
        return real_fit(cls, texts, labels)

    monkeypatch.setattr(Ranker, "fit", classmethod(counted))
    results: list[Ranker] = []
    threads = [threading.Thread(target=lambda: results.append(Ranker.for_entries(entries, tmp_path)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fitted) == 1 and len(results) == 3
    question = entries[2].questions[0]
    assert len({tuple(r.rank(question, 3)) for r in results}) == 1


def test_messages_the_plans_do_not_answer_are_learned_as_one_class_that_is_never_ranked(entries, tmp_path):
    """content/out_of_scope.yaml and the Office's "không thuộc phạm vi" marks train OUTSIDE: its share is
    `outside`, and `rank` names entries only."""
    from content.ranker import OUTSIDE

    outside = ["mật khẩu email công vụ bị khóa thì gọi ai", "máy in tầng 2 hỏng rồi báo ai sửa",
               "lịch tiêm vắc xin cho con ở phường", "đặt phòng họp trực tuyến thế nào"]
    plain = Ranker.for_entries(entries, tmp_path)
    ranker = Ranker.for_entries(entries, tmp_path, outside=outside)
    assert OUTSIDE not in plain.labels and plain.outside("máy in bị kẹt giấy") == 0.0
    assert OUTSIDE in ranker.labels
    # A model per set of examples: the Office's new mark is learned at the next reload.
    texts, labels = training_texts(entries, outside=outside)
    assert (tmp_path / f"ranker-{content_hash(texts, labels)}.npz").exists()
    assert labels.count(OUTSIDE) == len(outside)
    asked = "máy in phòng em bị kẹt giấy thì báo ai"
    # Its share is large for a message like its examples, small for an entry's question, and it is
    # taken from the entries: the best of them is less likely than without the class.
    question = entries[0].questions[0]
    assert ranker.outside(asked) > 10 * ranker.outside(question)
    assert ranker.rank(asked, 1)[0].prob < plain.rank(asked, 1)[0].prob - 0.02
    assert ranker.rank(question, 1)[0].entry_id == plain.rank(question, 1)[0].entry_id == entries[0].id
    assert all(r.entry_id != OUTSIDE for r in ranker.rank(asked, len(ranker.labels)))
    assert len(ranker.rank(asked, len(ranker.labels))) == len(ranker.labels) - 1
    # Read again from the cache: the same class, the same share.
    again = Ranker.for_entries(entries, tmp_path, outside=outside)
    assert abs(again.outside(asked) - ranker.outside(asked)) < 1e-6


def test_two_entries_are_ranked_as_scikit_learn_scores_them(entries):
    """With two classes scikit-learn keeps one row of weights: read as is, the first entry always won."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from content import ranker as module

    texts, labels = training_texts(entries[:2])
    ours = Ranker.fit(texts, labels)
    vec = TfidfVectorizer(analyzer=features, sublinear_tf=True, dtype=np.float32)
    model = LogisticRegression(C=module.C, tol=module.TOL, max_iter=500, solver="newton-cg").fit(
        vec.fit_transform(texts), labels)
    for text in (entries[0].questions[0], entries[1].questions[0]):
        assert np.allclose(ours.probabilities(text), model.predict_proba(vec.transform([text]))[0], atol=1e-4)
    assert ours.rank(entries[1].questions[0], 1)[0].entry_id == entries[1].id
