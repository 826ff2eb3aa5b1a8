"""With a trained model: test-out offers, updates after a quiz, and surviving a bad model file."""

import logging
import os

import numpy as np
import pytest

from academy.database import db
from academy.learning.services import enrol_learner, submit_attempt
from academy.paths.catalogue import get_catalogue
from academy.paths.models import RecommenderModel
from academy.paths.store import train_model
from tests.paths.conftest import item_ids


@pytest.fixture
def strong_learner(make_user, make_course, population, give_results):
    """A learner who aced the first two modules of a course whose third module others find easy."""
    course = make_course(modules=4)
    m1, m2, m3, m4 = course.modules
    population([m1, m2, m3, m4], {m1: 0.6, m2: 0.6, m3: 0.75, m4: 0.3}, n=20)
    learner = make_user()
    enrol_learner(learner, course)
    give_results(learner, {m1: 1.0, m2: 1.0})
    train_model(folds=0)
    db.session.commit()
    return learner, course


def test_module_predicted_well_above_pass_mark_is_offered_as_test_out(client, auth, strong_learner):
    learner, course = strong_learner
    auth.login(learner)
    html = client.get("/me/path").get_data(as_text=True)
    m3, m4 = course.modules[2], course.modules[3]
    assert item_ids(html) == [m4.id, m3.id]  # the largest gap first, the test-out offer last
    block = html.split(f'id="path-item-{m3.id}"')[1]
    assert "Làm bài kiểm tra ngay" in block and "cao hơn mức đạt" in block
    assert f"/courses/{course.slug}/{m3.slug}/quiz" in block
    assert "thấp hơn mức đạt" in html.split(f'id="path-item-{m4.id}"')[1]


def test_path_changes_right_after_a_quiz(client, auth, strong_learner):
    learner, course = strong_learner
    m4 = course.modules[3]
    auth.login(learner)
    assert m4.id in item_ids(client.get("/me/path").get_data(as_text=True))
    wrong = {q.id: [q.choices[1].id] for q in m4.questions}
    submit_attempt(learner, m4, "tok-fail", wrong, question_ids=list(wrong))
    db.session.commit()
    html = client.get("/me/path").get_data(as_text=True)
    assert "Kết quả tốt nhất của bạn là 0%" in html
    right = {q.id: [q.choices[0].id] for q in m4.questions}
    submit_attempt(learner, m4, "tok-pass", right, question_ids=list(right))
    db.session.commit()
    assert m4.id not in item_ids(client.get("/me/path").get_data(as_text=True))


@pytest.mark.parametrize("damage", ["missing", "garbage", "other-format", "blend-without-arrays"])
def test_bad_model_file_falls_back_to_difficulty(app, client, auth, strong_learner, caplog, damage):
    learner, course = strong_learner
    row = db.session.query(RecommenderModel).filter_by(is_current=True).one()
    path = os.path.join(app.instance_path, "models", row.filename)
    if damage == "missing":
        os.remove(path)
    elif damage == "garbage":
        with open(path, "wb") as handle:
            handle.write(b"PK\x03\x04 not a model at all")
    elif damage == "blend-without-arrays":
        meta = (
            '{"format": 1, "kind": "blend", "weights": [1.0], "intercept": 0.0, '
            '"parts": [{"kind": "logit", "mu": 0.0, "k": 40, "reg": 1.0}]}'
        )
        with open(path, "wb") as handle:
            np.savez(handle, meta=np.array(meta))
    else:
        np.savez(path, meta=np.array('{"format": 99, "kind": "factors"}'))
        os.replace(path + ".npz", path) if os.path.exists(path + ".npz") else None
    auth.login(learner)
    with caplog.at_level(logging.ERROR):
        page, home = client.get("/me/path"), client.get("/")
    assert page.status_code == 200 and home.status_code == 200
    assert len(item_ids(page.get_data(as_text=True))) == 2
    assert "Xếp theo độ khó" in page.get_data(as_text=True)
    assert any("paths use module difficulty" in r.getMessage() for r in caplog.records)


def test_training_keeps_the_previous_model_file(app, strong_learner):
    for _ in range(2):
        train_model(folds=0)
        db.session.commit()
    rows = db.session.query(RecommenderModel).order_by(RecommenderModel.id).all()
    files = sorted(os.listdir(os.path.join(app.instance_path, "models")))
    assert len(rows) == 3 and [r.is_current for r in rows] == [False, False, True]
    assert files == sorted([rows[1].filename, rows[2].filename])


def test_retrain_runs_in_background_after_enough_attempts(app, make_user, make_course, population):
    app.config["RECOMMENDER_RETRAIN_EVERY"] = 2
    course = make_course(modules=2)
    population(course.modules, {m: 0.5 for m in course.modules}, n=6)
    learner = make_user()
    enrol_learner(learner, course)
    for n, module in enumerate(course.modules):
        answers = {q.id: [q.choices[0].id] for q in module.questions}
        submit_attempt(learner, module, f"retrain-{n}", answers, question_ids=list(answers))
        db.session.commit()
    current = db.session.query(RecommenderModel).filter_by(is_current=True).one()
    assert current.n_users == 7 and current.last_attempt_id >= 1


def test_module_difficulty_comes_from_the_trained_model_not_a_live_scan(
    app, make_user, make_course, population, give_results
):
    course = make_course(modules=2)
    first, second = course.modules
    population([first, second], {first: 0.9, second: 0.4}, n=6)
    train_model(folds=0)
    db.session.commit()
    trained = get_catalogue().difficulty[second.id]
    assert trained[1] == 6 and abs(trained[0] - 0.4) < 0.11
    give_results(make_user(), {second: 1.0})  # a new result after training
    assert get_catalogue().difficulty[second.id] == trained  # a request reads the recorded figures
