"""Trained models on disk, their metadata rows, training, and the per-process model cache.

Training happens in ``flask recommender train`` or the background job, never in a request. Web
workers look at the metadata at most every ``RECOMMENDER_RELOAD_SECONDS`` and load a newer file
when one appears; a missing, corrupt or incompatible file is logged and serving goes on without
a model (the path falls back to module difficulty).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy import func, select
from surprise import accuracy
from surprise.model_selection import KFold

from academy.database import db, utcnow
from academy.learning.models import ModuleResult, QuizAttempt
from academy.paths.models import RecommenderModel
from academy.paths.recommender import (
    AUTO,
    algorithm_params,
    build_dataset,
    export_scorer,
    make_algorithm,
)
from academy.paths.scorer import IncompatibleModel, Scorer
from academy.paths.selection import COMPONENTS, inner_folds, select_model

log = logging.getLogger(__name__)
KEEP_FILES = 2  # the current model and the one before it
_lock = threading.Lock()


class NotEnoughData(RuntimeError):
    pass


def models_dir() -> str:
    path = os.path.join(current_app.instance_path, "models")
    os.makedirs(path, exist_ok=True)
    return path


def load_signal() -> list[tuple[int, int, float]]:
    """Every (learner, module, best score 0..1): the recommender's ratings."""
    rows = db.session.execute(
        select(ModuleResult.user_id, ModuleResult.module_id, ModuleResult.best_score)
    )
    return [(u, m, min(max(float(s), 0.0), 1.0)) for u, m, s in rows]


def cv_folds(folds: int | None = None) -> int:
    """Cross-validation folds for the recorded error: the given number, else the configured one
    (0 = none)."""
    folds = current_app.config.get("RECOMMENDER_CV_FOLDS", 3) if folds is None else folds
    return folds if folds and folds >= 2 else 0


def count_signal() -> int:
    return db.session.scalar(select(func.count()).select_from(ModuleResult)) or 0


def planned_steps(algorithm: str | None, folds: int | None, n_ratings: int) -> int:
    """How many progress steps ``train_model`` will report."""
    name = algorithm or current_app.config["RECOMMENDER_ALGORITHM"]
    if name == AUTO:
        return 3 + len(COMPONENTS) * inner_folds(n_ratings)
    return 3 + cv_folds(folds)


def train_model(
    algorithm: str | None = None,
    folds: int | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> RecommenderModel:
    """Train on all results, write a versioned file, record its metadata and make it current.

    With the algorithm ``auto`` (the default) the algorithm and its parameters are chosen by
    cross-validation on these results (see ``selection``), and the choice, the table behind it and
    the amount of data are recorded with the model. Flushes; the caller commits. Raises
    NotEnoughData when there is nothing sensible to learn. ``progress(stage, steps)`` hears of each
    step done (``planned_steps`` in all).
    """
    step = progress or (lambda _stage, _steps: None)
    config = current_app.config
    name = algorithm or config["RECOMMENDER_ALGORITHM"]
    last_attempt_id = db.session.scalar(select(func.max(QuizAttempt.id))) or 0
    rows = load_signal()
    users, items = len({r[0] for r in rows}), len({r[1] for r in rows})
    if len(rows) < 10 or users < 2 or items < 2:
        raise NotEnoughData(f"{len(rows)} kết quả của {users} học viên trên {items} mô-đun")
    step("đọc kết quả", 1)
    about, cv_rmse, cv_mae = None, None, None
    if name == AUTO:
        selection = select_model(rows, progress=lambda stage: step(stage, 1))
        name, params, about = selection.algorithm, selection.params, selection.record()
        cv_rmse = selection.table[[r.label for r in selection.table].index(selection.label)].rmse
    else:
        params = algorithm_params(name, (config.get("RECOMMENDER_PARAMS") or {}).get(name))
        folds = cv_folds(folds)
        if folds and len(rows) >= folds * 5:
            cv_rmse, cv_mae = _cross_validate(
                make_algorithm(name, params), build_dataset(rows), folds, step
            )
        else:
            step("bỏ qua kiểm định chéo", folds)
    started = time.perf_counter()
    algo = make_algorithm(name, params).fit(build_dataset(rows).build_full_trainset())
    fit_seconds = time.perf_counter() - started
    step("huấn luyện", 1)
    trained_at = utcnow()
    filename = f"model-{trained_at:%Y%m%dT%H%M%S%f}-{name}.npz"
    scorer = export_scorer(name, algo, params)
    scorer.about = about or {
        "chosen": name,
        "reason": "set by configuration or --algorithm",
        "n_ratings": len(rows),
    }
    _write_atomically(scorer, filename)
    stored = {**params, "selection": about} if about else params
    row = _record(
        rows,
        algorithm=name,
        params=_jsonable(stored),
        filename=filename,
        n_users=users,
        n_items=items,
        cv_rmse=cv_rmse,
        cv_mae=cv_mae,
        fit_seconds=fit_seconds,
        trained_at=trained_at,
        last_attempt_id=last_attempt_id,
    )
    step("lưu mô hình", 1)
    return row


def _cross_validate(algo, data, folds: int, step) -> tuple[float, float]:
    """Mean RMSE and MAE over ``folds`` folds, one step reported per fold."""
    rmses, maes = [], []
    for number, (trainset, testset) in enumerate(KFold(n_splits=folds).split(data), start=1):
        predictions = algo.fit(trainset).test(testset)
        rmses.append(accuracy.rmse(predictions, verbose=False))
        maes.append(accuracy.mae(predictions, verbose=False))
        step(f"kiểm định chéo {number}/{folds}", 1)
    return sum(rmses) / folds, sum(maes) / folds


def _write_atomically(scorer: Scorer, filename: str) -> None:
    target = os.path.join(models_dir(), filename)
    partial = target + ".part"
    scorer.save(partial)
    os.replace(partial, target)


def _record(rows, **columns) -> RecommenderModel:
    """Make a new current model row: ``columns`` are RecommenderModel's own, by name."""
    db.session.query(RecommenderModel).filter_by(is_current=True).update({"is_current": False})
    row = RecommenderModel(
        **columns, n_ratings=len(rows), is_current=True, module_stats=module_stats(rows)
    )
    db.session.add(row)
    db.session.flush()
    _prune_old_files()
    return row


def module_stats(rows) -> dict[str, list]:
    """{module id: [mean best score, learners]} of the training ratings."""
    sums: dict[int, list] = {}
    for _user, module, score in rows:
        entry = sums.setdefault(module, [0.0, 0])
        entry[0] += score
        entry[1] += 1
    return {str(module): [total / count, count] for module, (total, count) in sums.items()}


def _jsonable(params: dict) -> dict:
    return {k: v for k, v in params.items() if isinstance(v, (int, float, str, bool, dict, list))}


def _prune_old_files() -> None:
    rows = db.session.scalars(select(RecommenderModel).order_by(RecommenderModel.id.desc())).all()
    for row in rows[KEEP_FILES:]:
        path = os.path.join(models_dir(), row.filename)
        if os.path.exists(path):
            os.remove(path)


def retrain_job(job_id: str) -> None:
    """Background job: train with the configured algorithm (enqueued by ``note_attempt``)."""
    try:
        row = train_model()
    except NotEnoughData as exc:
        log.info("recommender retrain skipped: %s", exc)
        return
    db.session.commit()
    log.info("recommender model %s trained on %s results", row.filename, row.n_ratings)


# ---- serving -------------------------------------------------------------------------------


def _cache() -> dict:
    return current_app.extensions.setdefault(
        "recommender_cache",
        {"checked_at": float("-inf"), "row_id": None, "scorer": None, "meta": None},
    )


def current_model() -> tuple[Scorer | None, dict | None]:
    """The newest trained model of this process (scorer, metadata), or (None, metadata-or-None)."""
    cache = _cache()
    every = current_app.config.get("RECOMMENDER_RELOAD_SECONDS", 30)
    if time.monotonic() - cache["checked_at"] < every:
        return cache["scorer"], cache["meta"]
    with _lock:
        cache["checked_at"] = time.monotonic()
        row = db.session.execute(
            select(
                RecommenderModel.id,
                RecommenderModel.filename,
                RecommenderModel.trained_at,
                RecommenderModel.last_attempt_id,
                RecommenderModel.algorithm,
            )
            .where(RecommenderModel.is_current)
            .order_by(RecommenderModel.id.desc())
            .limit(1)
        ).first()
        if row is None:
            cache.update(row_id=None, scorer=None, meta=None)
        elif row.id != cache["row_id"]:
            meta = {
                "id": row.id,
                "trained_at": row.trained_at,
                "last_attempt_id": row.last_attempt_id or 0,
                "algorithm": row.algorithm,
            }
            cache.update(row_id=row.id, scorer=_load_file(row.filename), meta=meta)
    return cache["scorer"], cache["meta"]


def _load_file(filename: str) -> Scorer | None:
    path = os.path.join(current_app.instance_path, "models", os.path.basename(filename))
    try:
        return Scorer.load(path)
    except FileNotFoundError:
        log.error("recommender model file %s is missing; paths use module difficulty", path)
    except IncompatibleModel as exc:
        log.error(
            "recommender model file %s cannot be used (%s); paths use module difficulty", path, exc
        )
    return None
