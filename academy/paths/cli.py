"""flask recommender train | evaluate."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from academy.database import db
from academy.paths import evaluate as ev
from academy.paths.recommender import ALGORITHMS
from academy.paths.store import NotEnoughData, load_signal, train_model


@click.group("recommender", help="Train and evaluate the learning-path recommender.")
def recommender_cli():
    pass


@recommender_cli.command("train")
@click.option("--algorithm", type=click.Choice(sorted(ALGORITHMS)), default=None,
              help="Default: RECOMMENDER_ALGORITHM from the configuration.")
@click.option("--folds", type=int, default=None, help="Cross-validation folds for the recorded error (0 = skip).")
@with_appcontext
def train(algorithm, folds):
    """Train on every learner's results and make the new model current (the previous one is kept)."""
    click.echo(f"Training {algorithm or current_app.config['RECOMMENDER_ALGORITHM']} on all quiz results…")
    try:
        row = train_model(algorithm, folds)
    except NotEnoughData as exc:
        db.session.rollback()
        raise click.ClickException(f"not enough results to train: {exc}")
    db.session.commit()
    cv = f"cross-validated RMSE {row.cv_rmse:.4f}, MAE {row.cv_mae:.4f}" if row.cv_rmse is not None else "no CV"
    click.echo(f"Model {row.filename}: {row.n_ratings} results, {row.n_users} learners, {row.n_items} modules; "
               f"fit {row.fit_seconds:.2f} s; {cv}.")


@recommender_cli.command("evaluate")
@click.option("--data", "data_path", type=click.Path(dir_okay=False), default=None,
              help="CSV user,item,score with a header row; default: this database's results.")
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True)
@click.option("--tune", is_flag=True, help="Grid-search the chosen algorithm's main parameters too.")
@click.option("--algorithm", type=click.Choice(sorted(ALGORITHMS)), default=None,
              help="Evaluate only this algorithm (and the baselines).")
@click.option("--pass-mark", type=click.FloatRange(0, 1), default=0.7, show_default=True,
              help="Pass mark on the rescaled 0..1 scale, for the AUC.")
@with_appcontext
def evaluate(data_path, folds, tune, algorithm, pass_mark):
    """Cross-validate each algorithm against the baselines and print RMSE, MAE, times and AUC."""
    rows = _read_rows(data_path)
    users, items = len({r[0] for r in rows}), len({r[1] for r in rows})
    click.echo(f"{len(rows)} ratings, {users} learners, {items} modules; {folds}-fold cross-validation.")
    if len(rows) < folds * 2:
        _fail(f"too few ratings ({len(rows)}) for {folds} folds")
    tuned = None
    if tune:
        name = algorithm or current_app.config["RECOMMENDER_ALGORITHM"]
        algorithm = name
        tuned, best = ev.tune(rows, name, folds)
        click.echo(f"Tuned {name}: best RMSE {best:.4f} with {tuned}")
    entries = ev.candidates(algorithm, tuned)
    with click.progressbar(length=folds * len(entries), label="Cross-validating", file=sys.stderr) as bar:
        results = ev.cross_validate_all(rows, entries, folds, pass_mark, progress=lambda _label: bar.update(1))
    platform = current_app.config["RECOMMENDER_ALGORITHM"]
    click.echo(ev.format_table(results, platform))
    click.echo("RMSE and MAE on scores rescaled to 0..1; times are per fold; AUC: pass vs fail separation per learner.")
    summary = ev.verdict(results, platform)
    if summary:
        click.echo(summary)


def _read_rows(data_path):
    if data_path is None:
        return load_signal()
    try:
        rows, (low, high) = ev.read_ratings_csv(data_path)
    except OSError as exc:
        _fail(f"cannot read {data_path}: {exc.strerror or exc}")
    except ev.RatingsFileError as exc:
        _fail(f"{data_path}: {exc}")
    except UnicodeDecodeError:
        _fail(f"{data_path}: not UTF-8 text")
    click.echo(f"Scores {low:g}..{high:g} rescaled to 0..1.")
    return rows


def _fail(message: str):
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


COMMANDS = (recommender_cli,)
