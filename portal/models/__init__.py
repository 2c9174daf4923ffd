from portal.models.audit import AuditedQuerySet, AuditEvent
from portal.models.notify import Delivery, InboxMessage, Notification
from portal.models.ops import TaskRun
from portal.models.org import Classroom, District, School, SchoolKind, SchoolYear, Term
from portal.models.people import Guardian, Student, StudentGuardian, StudentUserObjectPermission
from portal.models.roster import RosterImport
from portal.models.session import Session
from portal.models.staff import EnrolmentCode, Membership, Role, User

__all__ = [
    "AuditEvent",
    "AuditedQuerySet",
    "Classroom",
    "Delivery",
    "InboxMessage",
    "Notification",
    "District",
    "EnrolmentCode",
    "Guardian",
    "Membership",
    "Role",
    "RosterImport",
    "School",
    "SchoolKind",
    "SchoolYear",
    "Session",
    "Student",
    "StudentGuardian",
    "StudentUserObjectPermission",
    "TaskRun",
    "Term",
    "User",
]
