"""Every model, imported once so the metadata (and Alembic) sees them all."""

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
from academy.certificates.models import Certificate, CertificateCounter  # noqa: F401
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
