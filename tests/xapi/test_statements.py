"""The statements' learner, and what a rolled-back event leaves behind (nothing)."""

from __future__ import annotations

from sqlalchemy import func, select

from academy.database import db, utcnow
from academy.xapi import statements
from academy.xapi.models import XapiStatement
from academy.xapi.outbox import queue_statement


def test_the_learner_is_an_account_by_id_unless_the_lrs_wants_e_mail(app, make_user):
    user = make_user(email="hang@hvs.gov.vn", full_name="Nguyễn Thị Hằng")
    assert statements.actor(user) == {
        "objectType": "Agent",
        "account": {"homePage": "http://localhost", "name": str(user.id)},
    }
    app.config["XAPI_ACTOR"] = "mbox"
    assert statements.actor(user) == {
        "objectType": "Agent",
        "name": "Nguyễn Thị Hằng",
        "mbox": "mailto:hang@hvs.gov.vn",
    }


def test_an_event_rolled_back_leaves_no_statement_and_sends_nothing(app, make_user, lrs):
    user = make_user()
    moment = utcnow()
    page = statements.activity("http://localhost/thu", "lesson", "Bài thử")
    queue_statement(statements.statement("experienced", user, page, moment), "experienced", moment)
    db.session.rollback()
    db.session.commit()  # a later commit of the same session does not send the forgotten one
    assert db.session.scalar(select(func.count()).select_from(XapiStatement)) == 0
    assert lrs.statements() == []
