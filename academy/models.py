"""Every model, imported once so the metadata (and Alembic) sees them all."""

from academy.api.models import ApiToken  # noqa: F401
from academy.auth.models import Unit, UnitMembership, User, UserRole  # noqa: F401
from academy.auth.tokens import AccountToken  # noqa: F401
from academy.catalog.models import (  # noqa: F401
    Choice,
    Course,
    CourseAuthor,
    Lesson,
    LessonRevision,
    Module,
    ModulePrerequisite,
    Question,
)
from academy.catalog.stamps import catalogue_stamp  # noqa: F401 - its flush listener stamps courses
from academy.certificates.models import (  # noqa: F401
    Certificate,
    CertificateCounter,
    CertificateCredential,
)
from academy.core.audit import AuditEvent  # noqa: F401
from academy.core.once import FormSubmission  # noqa: F401
from academy.jobs import Job  # noqa: F401
from academy.learning.models import (  # noqa: F401
    Assignment,
    AttemptAnswer,
    AttemptGrant,
    Enrollment,
    LessonProgress,
    ModuleResult,
    QuizAttempt,
)
from academy.mail import OutboxMessage  # noqa: F401
from academy.notify.models import Notification  # noqa: F401
from academy.paths.models import RecommenderModel  # noqa: F401
from academy.training.models import (  # noqa: F401
    Attendance,
    ExternalTraining,
    HoursRequirement,
    SessionInvite,
    SessionResponse,
    TrainingSession,
    UnitTarget,
)
from academy.xapi.models import XapiStatement  # noqa: F401
