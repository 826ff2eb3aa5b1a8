"""flask recommender train | evaluate."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from academy.database import db
from academy.paths import evaluate as ev
from academy.paths.recommender import ALGORITHMS
from academy.paths.store import NotEnoughData, cv_folds, load_signal, train_model


@click.group("recommender", help="Huấn luyện và đánh giá bộ gợi ý lộ trình học.")
def recommender_cli():
    pass


@recommender_cli.command("train")
@click.option("--algorithm", type=click.Choice(sorted(ALGORITHMS)), default=None,
              help="Mặc định: RECOMMENDER_ALGORITHM trong cấu hình.")
@click.option("--folds", type=int, default=None, help="Số phần kiểm định chéo cho sai số được ghi lại (0 = bỏ qua).")
@with_appcontext
def train(algorithm, folds):
    """Huấn luyện trên kết quả của mọi học viên và dùng mô hình mới (giữ lại mô hình trước)."""
    name = algorithm or current_app.config["RECOMMENDER_ALGORITHM"]
    try:
        with click.progressbar(length=3 + cv_folds(folds), label=f"Đang huấn luyện {name}",
                               item_show_func=lambda stage: stage, file=sys.stderr) as bar:
            row = train_model(algorithm, folds, progress=lambda stage, steps: bar.update(steps, stage))
    except NotEnoughData as exc:
        db.session.rollback()
        raise click.ClickException(f"chưa đủ kết quả để huấn luyện: {exc}")
    db.session.commit()
    cv = f"kiểm định chéo RMSE {row.cv_rmse:.4f}, MAE {row.cv_mae:.4f}" if row.cv_rmse is not None else "không kiểm định chéo"
    click.echo(f"Mô hình {row.filename}: {row.n_ratings} kết quả, {row.n_users} học viên, {row.n_items} mô-đun; "
               f"huấn luyện {row.fit_seconds:.2f} s; {cv}.")


@recommender_cli.command("evaluate")
@click.option("--data", "data_path", type=click.Path(dir_okay=False), default=None,
              help="CSV user,item,score có dòng tiêu đề; mặc định: kết quả trong cơ sở dữ liệu này.")
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True)
@click.option("--tune", is_flag=True, help="Tìm thêm bộ tham số chính tốt nhất cho thuật toán đã chọn.")
@click.option("--algorithm", type=click.Choice(sorted(ALGORITHMS)), default=None,
              help="Chỉ đánh giá thuật toán này (và các mốc so sánh).")
@click.option("--pass-mark", type=click.FloatRange(0, 1), default=0.7, show_default=True,
              help="Điểm đạt trên thang 0..1 sau quy đổi, dùng cho AUC.")
@with_appcontext
def evaluate(data_path, folds, tune, algorithm, pass_mark):
    """Kiểm định chéo từng thuật toán với các mốc so sánh; in RMSE, MAE, thời gian và AUC."""
    rows = _read_rows(data_path)
    users, items = len({r[0] for r in rows}), len({r[1] for r in rows})
    click.echo(f"{len(rows)} điểm, {users} học viên, {items} mô-đun; kiểm định chéo {folds} phần.")
    if len(rows) < folds * 2:
        _fail(f"quá ít điểm ({len(rows)}) cho {folds} phần")
    tuned = None
    if tune:
        name = algorithm or current_app.config["RECOMMENDER_ALGORITHM"]
        algorithm = name
        tuned, best = ev.tune(rows, name, folds)
        click.echo(f"Tinh chỉnh {name}: RMSE tốt nhất {best:.4f} với {tuned}")
    entries = ev.candidates(algorithm, tuned)
    with click.progressbar(length=folds * len(entries), label="Đang kiểm định chéo", file=sys.stderr) as bar:
        results = ev.cross_validate_all(rows, entries, folds, pass_mark, progress=lambda _label: bar.update(1))
    platform = current_app.config["RECOMMENDER_ALGORITHM"]
    click.echo(ev.format_table(results, platform))
    click.echo("RMSE và MAE trên điểm quy về 0..1; thời gian tính cho mỗi phần; AUC: khả năng tách mô-đun đạt và chưa đạt của từng học viên.")
    summary = ev.verdict(results, platform)
    if summary:
        click.echo(summary)


def _read_rows(data_path):
    if data_path is None:
        return load_signal()
    try:
        rows, (low, high) = ev.read_ratings_csv(data_path)
    except OSError as exc:
        _fail(f"không đọc được {data_path}: {exc.strerror or exc}")
    except ev.RatingsFileError as exc:
        _fail(f"{data_path}: {exc}")
    except UnicodeDecodeError:
        _fail(f"{data_path}: không phải văn bản UTF-8")
    click.echo(f"Điểm {low:g}..{high:g} được quy về 0..1.")
    return rows


def _fail(message: str):
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(1)


COMMANDS = (recommender_cli,)
