"""The path respects prerequisites (across courses), assignments and due dates; explains items."""

import re

from academy.catalog.models import Module, ModulePrerequisite
from academy.database import db
from academy.learning.services import enrol_learner
from tests.paths.conftest import item_ids


def test_prerequisite_in_another_course_comes_first(
    client, auth, make_user, make_course, population
):
    basics, advanced = make_course(title="Nhập môn dữ liệu"), make_course(title="Phân tích dữ liệu")
    needed, hard = basics.modules[1], advanced.modules[0]
    db.session.add(ModulePrerequisite(module_id=hard.id, required_module_id=needed.id))
    db.session.commit()
    population([needed, hard], {needed: 0.95, hard: 0.2})  # hard has the largest gap
    learner = make_user()
    enrol_learner(learner, advanced)
    db.session.commit()
    auth.login(learner)
    html = client.get("/me/path").get_data(as_text=True)
    order = item_ids(html)
    assert order.index(needed.id) < order.index(hard.id)
    assert (
        basics.modules[0].id not in order
    )  # only the prerequisite is pulled in, not the whole course
    hard_block = html.split(f'id="path-item-{hard.id}"')[1]
    assert (
        f"Cần học trước mô-đun “{needed.title}”" in hard_block
    )  # names the prerequisite, not the dependant


def test_overdue_then_due_assignments_lead(client, auth, make_user, make_course, days):
    chosen, due_later, overdue = (
        make_course(title="Tự chọn"),
        make_course(title="Giao có hạn"),
        make_course(title="Quá hạn"),
    )
    learner = make_user()
    enrol_learner(learner, chosen)
    enrol_learner(learner, due_later, source="assigned", due_at=days(10))
    enrol_learner(learner, overdue, source="assigned", due_at=days(-2))
    db.session.commit()
    auth.login(learner)
    html = client.get("/me/path").get_data(as_text=True)
    order = item_ids(html)
    courses = [m.course_id for m in _modules(order)]
    assert courses == [overdue.id] * 2 + [due_later.id] * 2 + [chosen.id] * 2
    assert "đã quá hạn từ" in html and "hạn hoàn thành" in html


def test_every_item_has_a_reason(client, auth, make_user, make_course):
    learner = make_user()
    enrol_learner(learner, make_course(modules=3))
    db.session.commit()
    auth.login(learner)
    html = client.get("/me/path").get_data(as_text=True)
    items = re.findall(r'<li class="list-group-item[^"]*path-item".*?</ul>', html, flags=re.S)
    assert len(items) == 3
    for item in items:
        reason = re.search(r'<ul class="[^"]*path-reasons">\s*<li>([^<]+)</li>', item)
        assert reason and len(reason.group(1).strip()) > 10


def test_home_page_shows_the_path_block(client, auth, make_user, make_course):
    learner = make_user()
    course = make_course()
    enrol_learner(learner, course)
    db.session.commit()
    auth.login(learner)
    html = client.get("/").get_data(as_text=True)
    assert 'id="path-heading"' in html and course.modules[0].title in html


def _modules(ids):
    return [db.session.get(Module, i) for i in ids]
