import datetime as dt

import factory

from portal.models import (
    Classroom,
    Delivery,
    District,
    Guardian,
    InboxMessage,
    Membership,
    Notification,
    RosterImport,
    School,
    Student,
    StudentGuardian,
    User,
)
from portal.models.org import SchoolKind
from portal.models.roster import ImportStatus

PASSWORD = "persona-pass-2026"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    name = factory.Sequence(lambda n: f"District {n}")
    code = factory.Sequence(lambda n: f"d{n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"School {n}")
    code = factory.Sequence(lambda n: f"s{n}")
    kind = SchoolKind.NINE_YEAR


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)


class ClassroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Classroom

    school = factory.SubFactory(SchoolFactory)
    grade = 7
    name = factory.Sequence(lambda n: f"{n}班")


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    classroom = factory.SubFactory(ClassroomFactory)
    school = factory.SelfAttribute("classroom.school")
    student_number = factory.Sequence(lambda n: f"N{n:06d}")
    name = factory.Sequence(lambda n: f"Student {n}")
    gender = "F"
    birth_date = dt.date(2013, 5, 1)


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Guardian {n}")
    relation = "mother"
    mobile = factory.Sequence(lambda n: f"138{n:08d}")


class StudentGuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentGuardian

    student = factory.SubFactory(StudentFactory)
    guardian = factory.SubFactory(GuardianFactory, school=factory.SelfAttribute("..student.school"))
    is_primary = True


class RosterImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RosterImport

    school = factory.SubFactory(SchoolFactory)
    uploaded_by = factory.SubFactory(UserFactory)
    filename = "roster.csv"
    content = b""
    status = ImportStatus.PREVIEWED


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    kind = "roster_import_applied"
    user = factory.SubFactory(UserFactory)
    context = factory.LazyFunction(
        lambda: {"school": "School A", "filename": "list.csv", "path": "/roster/imports/1/", "students_new": 3,
                 "students_updated": 0, "guardians_new": 3, "guardians_updated": 0}
    )  # fmt: skip


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    notification = factory.SubFactory(NotificationFactory)
    channel = "inbox"
    address = factory.LazyAttribute(lambda d: str(d.notification.user_id))


class InboxMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboxMessage

    user = factory.SubFactory(UserFactory)
    delivery = factory.SubFactory(DeliveryFactory, notification__user=factory.SelfAttribute("...user"))
    subject = "Class list applied"
    body = "Private body text"
