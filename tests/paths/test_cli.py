"""flask recommender evaluate | train."""

import os

from academy.database import db
from academy.paths.models import RecommenderModel
from academy.paths.scorer import Scorer
from academy.paths.store import cv_folds, planned_steps, train_model


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _structured_csv(path, learners=60, modules=12):
    """Scores 0..10 = learner ability + module easiness: learnable, unlike a global mean."""
    lines = ["learner,module,score"]
    for u in range(learners):
        for m in range(modules):
            if (u + m) % 3:
                lines.append(
                    f"u{u},m{m},{min(10, (u % 5) * 1.5 + (m % 4) * 1.2 + (u * m) % 2):.1f}"
                )
    return _write(path, lines)


def test_evaluate_rejects_a_malformed_row_with_its_line_number(runner, tmp_path):
    path = _write(
        tmp_path / "bad.csv", ["user,item,score", "a,m1,3", "b,m1,4", "c,m2,bốn", "d,m2,5"]
    )
    result = runner.invoke(args=["recommender", "evaluate", "--data", path])
    assert result.exit_code == 1
    assert "dòng 4" in result.output and "'bốn'" in result.output


def test_evaluate_rejects_a_row_with_missing_fields(runner, tmp_path):
    path = _write(tmp_path / "short.csv", ["user,item,score", "a,m1,3", "b,m1"])
    result = runner.invoke(args=["recommender", "evaluate", "--data", path])
    assert result.exit_code == 1 and "dòng 3" in result.output


def test_evaluate_prints_every_anchor_and_the_verdict(runner, tmp_path):
    path = _structured_csv(tmp_path / "ok.csv")
    out = tmp_path / "table.csv"
    result = runner.invoke(
        args=[
            "recommender",
            "evaluate",
            "--data",
            path,
            "--folds",
            "3",
            "--seed",
            "5",
            "--algorithm",
            "BaselineOnly",
            "--no-tuned-svd",
            "--csv",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Điểm 0..10 được quy về 0..1" in result.output
    for label in (
        "Trung bình chung",
        "BaselineOnly",
        "SVD",
        "SVD++",
        "KNNBaseline (mô-đun)",
        "NMF",
        "SlopeOne",
        "CoClustering",
        "→ mô hình train chọn",
        "RMSE",
        "AUC/hv",
        "AUC đạt",
    ):
        assert label in result.output
    assert "so với BaselineOnly: +0.00%" in result.output  # the chosen model is BaselineOnly itself
    assert "so với thuật toán Surprise mặc định tốt nhất:" in result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "algorithm,rmse,mae,auc_within,auc_pass,fit_s,predict_s,chosen"
    table = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert table["→ mô hình train chọn"][-1] == "1" and table["BaselineOnly"][-1] == "0"
    assert float(table["BaselineOnly"][1]) < 0.9 * float(table["Trung bình chung"][1])


def test_evaluate_without_data_uses_the_database(runner, make_course, population):
    course = make_course(modules=3)
    population(course.modules, {m: 0.4 + 0.2 * k for k, m in enumerate(course.modules)}, n=8)
    result = runner.invoke(
        args=["recommender", "evaluate", "--folds", "2", "--algorithm", "SVD", "--no-tuned-svd"]
    )
    assert result.exit_code == 0, result.output
    assert "24 điểm, 8 học viên, 3 mô-đun" in result.output and "Trung bình chung" in result.output


def test_train_chooses_a_model_and_records_why(app, runner, make_course, population):
    course = make_course(modules=3)
    population(course.modules, {m: 0.3 + 0.2 * k for k, m in enumerate(course.modules)}, n=8)
    result = runner.invoke(args=["recommender", "train"])
    assert result.exit_code == 0, result.output
    assert "Đang chọn và huấn luyện mô hình" in result.output  # the progress bar's label
    row = db.session.query(RecommenderModel).one()
    selection = row.params["selection"]
    assert row.n_ratings == 24 and row.cv_rmse is not None and row.is_current
    assert (
        selection["n_ratings"] == 24
        and len(selection["table"]) >= 5
        and selection["chosen"] in result.output
    )
    path = os.path.join(app.instance_path, "models", row.filename)
    assert (
        Scorer.load(path).about["chosen"] == selection["chosen"]
    )  # the file says what it is and why


def test_train_with_a_named_algorithm_skips_selection(app, runner, make_course, population):
    course = make_course(modules=3)
    population(course.modules, {m: 0.5 for m in course.modules}, n=8)
    result = runner.invoke(args=["recommender", "train", "--algorithm", "SVD", "--folds", "2"])
    assert result.exit_code == 0, result.output
    assert "Đang huấn luyện SVD" in result.output
    row = db.session.query(RecommenderModel).one()
    assert row.algorithm == "SVD" and row.cv_rmse is not None and "selection" not in row.params
    assert os.path.exists(os.path.join(app.instance_path, "models", row.filename))


def test_train_refuses_without_results(runner):
    result = runner.invoke(args=["recommender", "train"])
    assert result.exit_code != 0 and "chưa đủ kết quả" in result.output


def test_training_reports_each_step_for_the_progress_bar(app, make_course, population):
    course = make_course(modules=3)
    population(course.modules, {m: 0.5 for m in course.modules}, n=8)
    steps = []
    train_model("SVD", folds=3, progress=lambda stage, n: steps.append((stage, n)))
    assert [stage for stage, _n in steps] == [
        "đọc kết quả",
        "kiểm định chéo 1/3",
        "kiểm định chéo 2/3",
        "kiểm định chéo 3/3",
        "huấn luyện",
        "lưu mô hình",
    ]
    assert sum(n for _stage, n in steps) == 3 + cv_folds(3) == planned_steps("SVD", 3, 24)
    steps.clear()
    train_model(
        progress=lambda stage, n: steps.append((stage, n))
    )  # selection: one step per candidate and fold
    assert sum(n for _stage, n in steps) == planned_steps(None, None, 24)
