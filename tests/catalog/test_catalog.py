"""The catalogue and the course page, as a signed-in learner sees them."""

import pytest

from academy.catalog.models import ModulePrerequisite
from academy.catalog.services import fold
from academy.database import db


@pytest.fixture
def learner(make_user, auth):
    user = make_user()
    auth.login(user)
    return user


def titles_on(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_fold_ignores_case_and_vietnamese_diacritics():
    assert fold("ĐẢNG viên Dữ LIỆU") == "dang vien du lieu"


def test_catalogue_lists_published_courses_with_filters_and_search(client, learner, make_course):
    make_course(title="Trí tuệ nhân tạo cho lãnh đạo", track="ai", level="advanced")
    make_course(title="Phân tích dữ liệu cơ bản", track="data", level="basic")
    make_course(title="Lịch sử Đảng", track="theory", level="basic")
    make_course(title="Bản nháp bí mật", status="draft")
    everything = titles_on(client, "/courses")
    assert "Tìm thấy 3 khoá học" in everything and "Bản nháp bí mật" not in everything
    assert (
        "Trí tuệ nhân tạo cho" in everything
        and 'border">Nâng cao</span>' in everything
        and "4 giờ" in everything
    )
    only_ai = titles_on(client, "/courses?track=ai")
    assert "Trí tuệ nhân tạo cho lãnh đạo" in only_ai and "Lịch sử Đảng" not in only_ai
    basic = titles_on(client, "/courses?level=basic")
    assert (
        "Phân tích dữ liệu" in basic
        and "Lịch sử Đảng" in basic
        and "Trí tuệ nhân tạo cho" not in basic
    )
    search = titles_on(client, "/courses?q=DANG")
    assert "Lịch sử Đảng" in search and "Phân tích" not in search
    assert "Phân tích dữ liệu cơ bản" in titles_on(client, "/courses?q=du+lieu")
    assert "Tìm thấy 3 khoá học" in titles_on(client, "/courses?track=bogus&level=x")
    assert "Không có khoá học nào" in titles_on(client, "/courses?q=không+có+đâu")


def test_catalogue_paginates_and_keeps_filters(client, learner, make_course):
    for n in range(14):
        make_course(title=f"Khoá dữ liệu {n:02d}", track="data")
    first = titles_on(client, "/courses?track=data")
    assert "Khoá dữ liệu 11" in first and "Khoá dữ liệu 12" not in first
    assert (
        'href="/courses?page=2&amp;track=data"' in first
        or 'href="/courses?track=data&amp;page=2"' in first
    )
    second = titles_on(client, "/courses?track=data&page=2")
    assert "Khoá dữ liệu 12" in second and "Khoá dữ liệu 00" not in second
    assert "Khoá dữ liệu 13" in titles_on(client, "/courses?track=data&page=99")


def test_catalogue_card_shows_my_progress(client, learner, make_course):
    course = make_course(title="Khoá đã ghi danh")
    make_course(title="Khoá khác")
    client.post(f"/courses/{course.slug}/enrol")
    module = course.modules[0]
    client.post(f"/courses/{course.slug}/{module.slug}/{module.lessons[0].slug}/done")
    html = titles_on(client, "/courses")
    assert 'aria-valuenow="17"' in html  # 1 of 4 lessons + 2 quizzes
    assert html.count("Chưa ghi danh") == 1


def test_course_page_shows_modules_lessons_and_prerequisites_across_courses(
    client, learner, make_course
):
    basics = make_course(title="Nhập môn dữ liệu")
    course = make_course(title="Phân tích nâng cao", modules=2)
    db.session.add(
        ModulePrerequisite(module_id=course.modules[1].id, required_module_id=basics.modules[0].id)
    )
    db.session.commit()
    html = titles_on(client, f"/courses/{course.slug}")
    assert html.index("Mô-đun 1: Dữ liệu") < html.index("Bài 1 của mô-đun 2")
    assert "45 phút" in html and "Cần học trước:" in html and "(Nhập môn dữ liệu)" in html
    assert "chưa đạt" in html and "Ghi danh" in html
    assert "Làm bài kiểm tra mô-đun" not in html  # not before enrolling


def test_a_draft_course_is_visible_to_its_author_only(client, auth, make_user, make_course):
    author = make_user(roles=("instructor",))
    draft = make_course(title="Khoá đang soạn", status="draft", owner=author)
    auth.login(make_user())
    assert client.get(f"/courses/{draft.slug}").status_code == 404
    auth.logout()
    auth.login(author)
    html = titles_on(client, f"/courses/{draft.slug}")
    assert "chưa được xuất bản" in html
    assert client.post(f"/courses/{draft.slug}/enrol").status_code == 302
    module = draft.modules[0]
    preview = client.get(f"/courses/{draft.slug}/{module.slug}/{module.lessons[0].slug}")
    assert preview.status_code == 200 and "xem trước" in preview.get_data(as_text=True)


def test_catalogue_needs_sign_in(client):
    response = client.get("/courses")
    assert response.status_code == 302 and "/login" in response.location
