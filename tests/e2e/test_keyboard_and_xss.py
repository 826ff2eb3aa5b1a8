"""A quiz completed with the keyboard alone; the Markdown XSS payloads rendered in Chromium with
nothing executing."""

from __future__ import annotations

import pytest

from tests.e2e.flows import COURSE, course_answers, enrol_http, sign_in
from tests.live_fixtures import database_independent
from tests.live_server import run_steps
from tests.payloads import XSS_PAYLOADS, dangerous_fragments

pytestmark = [pytest.mark.browser, pytest.mark.slow, database_independent]
ACTIVE = """() => { const e = document.activeElement;
  return {tag: e.tagName, type: e.type || '', name: e.name || '', value: e.value || '',
          checked: !!e.checked, text: (e.innerText || '').trim()}; }"""


@pytest.mark.parametrize("device", ["desktop"])
def test_a_quiz_can_be_completed_with_the_keyboard_alone(site, new_page, axe):
    email = site.add_user(full_name="Hoàng Văn Bàn Phím")
    enrol_http(site.http(email))
    answers = course_answers(site)
    module = next(iter(answers))
    page = new_page()
    sign_in(page, email)
    page.goto(f"/courses/{COURSE}/{module}/quiz")
    axe.check(page, "quiz")

    answered, submitted = set(), False
    for _ in range(400):
        page.keyboard.press("Tab")
        focus = page.evaluate(ACTIVE)
        if focus["name"].startswith("q-"):
            qid = int(focus["name"][2:])
            correct = set(answers[module][qid])
            if focus["type"] == "radio":
                for _ in range(12):  # arrows move (and select) within the group
                    if int(focus["value"]) in correct:
                        break
                    page.keyboard.press("ArrowDown")
                    focus = page.evaluate(ACTIVE)
                if not focus["checked"]:
                    page.keyboard.press("Space")
                answered.add(qid)
            elif int(focus["value"]) in correct and not focus["checked"]:
                page.keyboard.press("Space")
                answered.add(qid)
        elif focus["tag"] == "BUTTON" and focus["text"] == "Nộp bài":
            page.keyboard.press("Enter")
            submitted = True
            break
    assert submitted, "Tab never reached the submit button"
    assert answered == set(answers[module])
    page.wait_for_url("**/attempts/*")
    page.get_by_text("Đạt", exact=True).wait_for()
    assert "100" in page.locator("main").inner_text()
    axe.check(page, "result")
    axe.assert_clean()


def _payload_course(directory) -> str:
    """A course folder whose every field carries the payloads; returns its slug."""
    slug = "khoa-hoc-thu-xss"
    root = directory / slug
    module = root / "01-mo-dun-doc-hai"
    module.mkdir(parents=True)
    body = "\n\n".join(XSS_PAYLOADS)
    (root / "course.md").write_text(
        "---\ntitle: Khoá học thử <script>window.__xss=1</script>\n"
        "summary: Tóm tắt <img src=x onerror=window.__xss=1>\n"
        "track: data\nlevel: basic\nhours: 1\npass_threshold: 0.5\n---\n" + body + "\n",
        encoding="utf-8",
    )
    (module / "module.md").write_text(
        "---\ntitle: Mô-đun <svg onload=window.__xss=1>\nsummary: Tóm tắt\nminutes: 10\n"
        "prerequisites: []\n---\n" + body + "\n",
        encoding="utf-8",
    )
    third = len(XSS_PAYLOADS) // 3 + 1
    for i in range(3):
        chunk = "\n\n".join(XSS_PAYLOADS[i * third : (i + 1) * third])
        (module / f"0{i + 1}-bai-{i + 1}.md").write_text(
            f"---\ntitle: Bài {i + 1}\n---\n{chunk}\n", encoding="utf-8"
        )
    one_line = [p for p in XSS_PAYLOADS if "\n" not in p][:8]
    quiz = "".join(
        f"## Câu {n}: {p}\n- [x] Đúng {p}\n- [ ] Sai\n> Giải thích {p}\n\n"
        for n, p in enumerate(one_line, 1)
    )
    (module / "quiz.md").write_text(quiz, encoding="utf-8")
    return slug


@pytest.mark.parametrize("device", ["desktop"])
def test_markdown_xss_payloads_never_run_in_chromium(site, new_page, tmp_path):
    slug = _payload_course(tmp_path)
    run_steps(site.env, [["courses", "import", str(tmp_path / slug)]])
    email = site.add_user(full_name="Người Đọc Cẩn Thận")
    enrol_http(site.http(email), slug)
    answers = course_answers(site, slug)
    module = next(iter(answers))

    page = new_page()  # CSP off (see new_page): the sanitiser alone must hold
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, email)
    lessons = [f"/courses/{slug}/{module}/bai-{i}" for i in (1, 2, 3)]
    for path in ["/courses", f"/courses/{slug}", *lessons, f"/courses/{slug}/{module}/quiz"]:
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
        if "/bai-" in path:
            assert page.locator(".lesson-body").inner_text().strip(), (
                "the payload lesson did not render"
            )
        page.mouse.move(200, 300)
        assert page.evaluate("() => window.__xss") is None, f"script ran on {path}"
        rendered = page.eval_on_selector("main", "m => m.innerHTML")
        assert dangerous_fragments(rendered) == [], (path, dangerous_fragments(rendered))
    for qid, choice_ids in answers[module].items():
        for choice_id in choice_ids:
            page.locator(f"label[for='q{qid}-c{choice_id}']").click()
    page.get_by_role("button", name="Nộp bài").click()
    page.wait_for_url("**/attempts/*")
    assert page.evaluate("() => window.__xss") is None
    assert dangerous_fragments(page.eval_on_selector("main", "m => m.innerHTML")) == []
    assert dialogs == [] and not page.errors, (dialogs, page.errors)
