"""Reasons name the prerequisite the right way round; a placement quiz leaves other tracks alone."""

from academy.catalog.models import ModulePrerequisite
from academy.database import db
from academy.learning.services import enrol_learner
from tests.paths.conftest import item_ids


def _block(html: str, module_id: int) -> str:
    return html.split(f'id="path-item-{module_id}"')[1].split('id="path-item-')[0]


def _prerequisite_path(make_user, make_course, locale):
    basics, advanced = make_course(title="Nhập môn dữ liệu"), make_course(title="Phân tích dữ liệu")
    first, then = basics.modules[1], advanced.modules[0]
    first.title, then.title = "Làm sạch dữ liệu", "Mô hình dự báo"
    db.session.add(ModulePrerequisite(module_id=then.id, required_module_id=first.id))
    learner = make_user()
    learner.locale = locale
    enrol_learner(learner, advanced)
    db.session.commit()
    return learner, first, then


def test_reason_names_the_module_to_learn_first_in_vietnamese(client, auth, make_user, make_course):
    learner, first, then = _prerequisite_path(make_user, make_course, "vi")
    auth.login(learner)
    html = client.get("/me/path").get_data(as_text=True)
    assert "Cần học trước mô-đun “Làm sạch dữ liệu”." in _block(html, then.id)
    assert "Là mô-đun tiên quyết của “Mô hình dự báo”: học mô-đun này trước." in _block(
        html, first.id
    )
    assert "Cần học trước mô-đun “Mô hình dự báo”" not in html  # the old, backwards reason


def test_reason_names_the_module_to_learn_first_in_english(client, auth, make_user, make_course):
    learner, first, then = _prerequisite_path(make_user, make_course, "en")
    auth.login(learner)
    html = client.get("/me/path").get_data(as_text=True)
    assert "Learn module “Làm sạch dữ liệu” first." in _block(html, then.id)
    assert "A prerequisite of “Mô hình dự báo”: learn this module first." in _block(html, first.id)
    assert "Learn module “Mô hình dự báo” first." not in html


def test_placement_in_one_track_leaves_the_other_tracks_in_cold_start_order(
    client, auth, make_user, make_course, give_results
):
    data = make_course(track="data", modules=3)
    theory = make_course(track="theory", modules=3)
    ai = make_course(track="ai", modules=2)
    learner = make_user()
    auth.login(learner)
    before = item_ids(client.get("/me/path").get_data(as_text=True))
    assert set(before) == {m.id for c in (data, theory, ai) for m in c.modules}
    others = [m for m in before if m not in {x.id for x in data.modules}]
    # the placement quiz of the data track: one module passed, two failed
    give_results(learner, {data.modules[0]: 1.0, data.modules[1]: 0.2, data.modules[2]: 0.4})
    html = client.get("/me/path").get_data(as_text=True)
    after = item_ids(html)
    assert [m for m in after if m in others] == others  # every other module, in the same order
    assert {m for m in after if m not in others} == {data.modules[1].id, data.modules[2].id}
    assert "/me/placement/theory" in html and "/me/placement/ai" in html  # still on offer
    assert "/me/placement/data" not in html
    assert client.get("/me/placement/theory").status_code == 200


def test_a_prediction_that_rounds_to_the_pass_mark_is_not_called_below_it(app):
    from types import SimpleNamespace  # noqa: PLC0415 - only this test builds a bare path item

    from academy.paths.reasons import _score_reason  # noqa: PLC0415 - as above

    def reason(predicted):
        item = SimpleNamespace(
            best_score=None, predicted=predicted, pass_threshold=0.7, test_out=False, personal=True
        )
        with app.test_request_context("/"):
            return _score_reason(None, 1, item, has_results=True)

    assert "thấp hơn mức đạt 70%" in reason(0.60)
    assert "70%" in reason(0.696) and "thấp hơn" not in reason(0.696)
