"""Trained recommender models: the file lives under instance/models/, the metadata here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from academy.database import UTCDateTime, db, utcnow


class RecommenderModel(db.Model):
    __tablename__ = "recommender_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    filename: Mapped[str] = mapped_column(String(200))
    n_ratings: Mapped[int] = mapped_column(Integer, default=0)
    n_users: Mapped[int] = mapped_column(Integer, default=0)
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    cv_rmse: Mapped[float | None] = mapped_column(Float)
    cv_mae: Mapped[float | None] = mapped_column(Float)
    fit_seconds: Mapped[float | None] = mapped_column(Float)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    # Per module "mean best score, learners" from the training data: how hard learners find it.
    # Kept here so web workers never aggregate the whole results table inside a request.
    module_stats: Mapped[dict] = mapped_column(JSON, default=dict)
    # The newest QuizAttempt id when training started: note_attempt() counts new attempts from here.
    last_attempt_id: Mapped[int] = mapped_column(Integer, default=0)
