"""flask recommender train | evaluate."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from academy.database import db
from academy.paths import evaluate as ev
from academy.paths.recommender import ALGORITHMS, AUTO
from academy.paths.store import (
    NotEnoughData,
    count_signal,
    load_signal,
    planned_steps,
    train_model,
)


@click.group("recommender", help="Huấn luyện và đánh giá bộ gợi ý lộ trình học.")
def recommender_cli():
    pass


@recommender_cli.command("train")
@click.option(
    "--algorithm",
    type=click.Choice(sorted([AUTO, *ALGORITHMS])),
    default=None,
    help="Mặc định: RECOMMENDER_ALGORITHM trong cấu hình (auto: chọn bằng kiểm định chéo).",
)
@click.option(
    "--folds",
    type=int,
    default=None,
    help="Thuật toán chỉ định: số phần kiểm định chéo cho sai số được ghi lại (0 = bỏ qua).",
)
@with_appcontext
def train(algorithm, folds):
    """Huấn luyện trên kết quả của mọi học viên và dùng mô hình mới (giữ lại mô hình trước)."""
    name = algorithm or current_app.config["RECOMMENDER_ALGORITHM"]
    label = "Đang chọn và huấn luyện mô hình" if name == AUTO else f"Đang huấn luyện {name}"
    try:
        with click.progressbar(
            length=planned_steps(algorithm, folds, count_signal()),
            label=label,
            item_show_func=lambda stage: stage,
            file=sys.stderr,
        ) as bar:
            row = train_model(
                algorithm, folds, progress=lambda stage, steps: bar.update(steps, stage)
            )
    except NotEnoughData as exc:
        db.session.rollback()
        raise click.ClickException(f"chưa đủ kết quả để huấn luyện: {exc}") from exc
    db.session.commit()
    selection = (row.params or {}).get("selection")
    if selection:
        for entry in selection["table"]:
            click.echo(f"  {entry['label']:<28} RMSE {entry['rmse']:.4f}")
        click.echo(f"Chọn {selection['chosen']}: {selection['reason']}.")
    cv = (
        f"kiểm định chéo RMSE {row.cv_rmse:.4f}"
        if row.cv_rmse is not None
        else "không kiểm định chéo"
    )
    click.echo(
        f"Mô hình {row.filename} ({row.algorithm}): {row.n_ratings} kết quả, "
        f"{row.n_users} học viên, {row.n_items} mô-đun; huấn luyện {row.fit_seconds:.2f} s; {cv}."
    )


@recommender_cli.command("evaluate")
@click.option(
    "--data",
    "data_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV user,item,score có dòng tiêu đề; mặc định: kết quả trong cơ sở dữ liệu này.",
)
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True)
@click.option(
    "--seed",
    type=int,
    default=7,
    show_default=True,
    help="Hạt chia phần: mọi dòng dùng cùng các phần.",
)
@click.option(
    "--algorithm",
    type=click.Choice(sorted(ALGORITHMS)),
    default=None,
    help="Đánh giá thuật toán này thay cho việc chọn mô hình (nhanh hơn).",
)
@click.option("--no-tuned-svd", is_flag=True, help="Bỏ dòng SVD tinh chỉnh lồng (chậm nhất).")
@click.option(
    "--pass-mark",
    type=click.FloatRange(0, 1),
    default=0.7,
    show_default=True,
    help="Điểm đạt trên thang 0..1 sau quy đổi, dùng cho AUC.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Ghi thêm bảng ra tệp CSV "
    "(algorithm,rmse,mae,auc_within,auc_pass,fit_s,predict_s,chosen).",
)
@click.option("--markdown", is_flag=True, help="In bảng dạng Markdown (cho README).")
@with_appcontext
def evaluate(data_path, folds, seed, algorithm, no_tuned_svd, pass_mark, csv_path, markdown):
    """Kiểm định chéo lồng: mô hình train sẽ chọn, từng ứng viên và các thuật toán Surprise
    mặc định."""
    rows = _read_rows(data_path)
    users, items = len({r[0] for r in rows}), len({r[1] for r in rows})
    click.echo(
        f"{len(rows)} điểm, {users} học viên, {items} mô-đun; "
        f"kiểm định chéo {folds} phần (hạt {seed})."
    )
    if len(rows) < folds * 2:
        _fail(f"quá ít điểm ({len(rows)}) cho {folds} phần")
    with click.progressbar(length=folds * 20, label="Đang kiểm định chéo", file=sys.stderr) as bar:
        results, choices = ev.cross_validate_all(
            rows,
            folds,
            pass_mark,
            seed,
            algorithm,
            not no_tuned_svd,
            progress=lambda _label: bar.update(1),
        )
    click.echo(ev.format_markdown(results) + "\n" if markdown else ev.format_table(results))
    click.echo(
        "RMSE và MAE trên điểm quy về 0..1; thời gian tính cho mỗi phần; AUC/hv: khả năng xếp "
        "mô-đun đạt trên mô-đun chưa đạt của từng học viên; AUC đạt: đoán đạt/chưa đạt trên mọi "
        "điểm."
    )
    click.echo(ev.verdict(results, choices))
    if csv_path:
        ev.write_csv(results, csv_path)


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
