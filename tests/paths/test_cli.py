"""flask recommender evaluate | train."""
import os

from academy.paths.models import RecommenderModel
from academy.database import db


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _structured_csv(path, learners=60, modules=12):
    """Scores 0..10 = learner ability + module easiness: learnable, unlike a global mean."""
    lines = ["learner,module,score"]
    for u in range(learners):
        for m in range(modules):
            if (u + m) % 3:
                lines.append(f"u{u},m{m},{min(10, (u % 5) * 1.5 + (m % 4) * 1.2 + (u * m) % 2):.1f}")
    return _write(path, lines)


def test_evaluate_rejects_a_malformed_row_with_its_line_number(runner, tmp_path):
    path = _write(tmp_path / "bad.csv", ["user,item,score", "a,m1,3", "b,m1,4", "c,m2,bốn", "d,m2,5"])
    result = runner.invoke(args=["recommender", "evaluate", "--data", path])
    assert result.exit_code == 1
    assert "dòng 4" in result.output and "'bốn'" in result.output


def test_evaluate_rejects_a_row_with_missing_fields(runner, tmp_path):
    path = _write(tmp_path / "short.csv", ["user,item,score", "a,m1,3", "b,m1"])
    result = runner.invoke(args=["recommender", "evaluate", "--data", path])
    assert result.exit_code == 1 and "dòng 3" in result.output


def test_evaluate_prints_the_table_with_baselines(runner, tmp_path):
    path = _structured_csv(tmp_path / "ok.csv")
    result = runner.invoke(args=["recommender", "evaluate", "--data", path, "--folds", "3",
                                 "--algorithm", "BaselineOnly"])
    assert result.exit_code == 0, result.output
    assert "Điểm 0..10 được quy về 0..1" in result.output
    for label in ("BaselineOnly", "SVD (mặc định Surprise)", "NormalPredictor", "Trung bình chung", "RMSE", "AUC"):
        assert label in result.output
    rmse = {line.split()[0]: float(line.split()[-5]) for line in result.output.splitlines()
            if line.startswith(("BaselineOnly ", "Trung bình chung"))}
    assert rmse["BaselineOnly"] < 0.9 * rmse["Trung"]


def test_evaluate_without_data_uses_the_database(runner, make_course, population):
    course = make_course(modules=3)
    population(course.modules, {m: 0.4 + 0.2 * k for k, m in enumerate(course.modules)}, n=8)
    result = runner.invoke(args=["recommender", "evaluate", "--folds", "2", "--algorithm", "SVD"])
    assert result.exit_code == 0, result.output
    assert "24 điểm, 8 học viên, 3 mô-đun" in result.output and "Trung bình chung" in result.output


def test_train_writes_a_versioned_model_with_metadata(app, runner, make_course, population):
    course = make_course(modules=3)
    population(course.modules, {m: 0.5 for m in course.modules}, n=8)
    result = runner.invoke(args=["recommender", "train", "--folds", "2"])
    assert result.exit_code == 0, result.output
    assert "Đang huấn luyện SVD" in result.output  # the progress bar's label (the bar itself needs a terminal)
    row = db.session.query(RecommenderModel).one()
    assert row.algorithm == "SVD" and row.n_ratings == 24 and row.cv_rmse is not None and row.is_current
    assert os.path.exists(os.path.join(app.instance_path, "models", row.filename))


def test_train_refuses_without_results(runner):
    result = runner.invoke(args=["recommender", "train"])
    assert result.exit_code != 0 and "chưa đủ kết quả" in result.output


def test_training_reports_each_step_for_the_progress_bar(app, make_course, population):
    from academy.paths.store import cv_folds, train_model

    course = make_course(modules=3)
    population(course.modules, {m: 0.5 for m in course.modules}, n=8)
    steps = []
    train_model(folds=3, progress=lambda stage, n: steps.append((stage, n)))
    assert [stage for stage, _n in steps] == ["đọc kết quả", "kiểm định chéo 1/3", "kiểm định chéo 2/3",
                                              "kiểm định chéo 3/3", "huấn luyện", "lưu mô hình"]
    assert sum(n for _stage, n in steps) == 3 + cv_folds(3)
