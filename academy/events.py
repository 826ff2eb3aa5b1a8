"""The named signals one feature sends and others react to, declared in this one place.

A feature lower in the import order (core ← catalog/auth ← learning ← paths, certificates, reports,
authoring ← admin) never calls one above it: it sends a signal here, and the feature above
subscribes in its ``listeners.py``, connected by ``register_events`` in ``create_app``.

Every signal is sent with the application as sender (as Flask's own signals are) and keyword
data. Receivers run synchronously, inside the sender's transaction: they flush, never commit, and
an exception in one fails the request that sent it. Each line below says who sends and who listens.
"""

from __future__ import annotations

from blinker import Namespace
from flask import current_app
from werkzeug.local import LocalProxy

_signals = Namespace()

# Sent by learning.services.complete_course_if_done once every module of a course is passed
# (user, course, enrollment). Listened to by certificates.listeners: issues the certificate;
# by xapi.listeners: a "completed" statement.
course_completed = _signals.signal("course-completed")

# Sent by learning.services.submit_attempt when a newly stored attempt (module quiz or placement)
# passes its module (user, module, attempt). Listened to by xapi.listeners: a "passed" statement.
module_passed = _signals.signal("module-passed")

# Sent by learning.services.submit_attempt for every newly stored, graded attempt (attempt).
# Listened to by paths.listeners: counts attempts towards a recommender retrain; by xapi.listeners:
# a "scored" statement.
attempt_recorded = _signals.signal("attempt-recorded")

# Sent by learning.services.note_lesson_visit when an enrolled learner's opening of a lesson is
# recorded (user, lesson, enrollment): another lesson than the last, or the same one after some
# minutes; a reread within minutes sends nothing. Listened to by xapi.listeners: an
# "experienced" statement.
lesson_viewed = _signals.signal("lesson-viewed")

# Sent by reports.assignments.assign_course when a course is newly assigned to a unit subtree
# (assignment, enrolled: how many people it enrolled). No listener yet (mail to those assigned).
assignment_created = _signals.signal("assignment-created")

# Sent by admin.services.update_user when an admin deactivates an account (user), after its
# sessions are ended. No listener yet (accounts, mail).
user_deactivated = _signals.signal("user-deactivated")

# Sent by certificates.services.issue_certificate when a new certificate is stored (certificate).
# No listener yet (mail the learner their certificate).
certificate_issued = _signals.signal("certificate-issued")

# Sent by training.checkin when an attendance is newly recorded, by QR code or by hand (session,
# user, attended_at, method: "qr" | "manual"). Listened to by xapi.listeners: an "attended"
# statement.
session_attended = _signals.signal("session-attended")


def send(signal, **data) -> None:
    """Send ``signal`` from the current application with ``data`` as keyword arguments.

    Receivers get the objects themselves, never a request-bound proxy such as ``current_user``
    (which a receiver keeping it for later would find empty).
    """
    plain = {
        key: value._get_current_object() if isinstance(value, LocalProxy) else value
        for key, value in data.items()
    }
    signal.send(current_app._get_current_object(), **plain)
