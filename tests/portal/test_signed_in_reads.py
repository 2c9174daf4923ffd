"""The reads every signed-in request makes (session, user, roles) come from one prepared statement each on
PostgreSQL: they must give what Django's own session store, ModelBackend and the ORM's roles give."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import access
from portal.auth_backend import ModelBackend
from portal.models import Membership, Role, Session, User
from portal.session_store import SessionStore
from tests import factories


def _orm_user(pk: int) -> User:
    return User.objects.get(pk=pk)  # a fresh object: roles_of reads them through the ORM


def test_each_persona_is_loaded_with_the_fields_and_roles_the_orm_gives(world):
    # One person in several roles: counselor at A, official of district B, crisis responder, and a parent.
    many = world.users["counselor_a"]
    Membership.objects.create(user=many, role=Role.OFFICIAL, district=world.district_b)
    Membership.objects.create(user=many, role=Role.RESPONDER, district=world.district_a)
    Membership.objects.create(user=many, role=Role.TEACHER, school=world.school_b, active=False)  # ended
    factories.GuardianFactory(school=world.school_a, user=many)
    for name, user in world.users.items():
        if user is None:
            continue
        loaded = ModelBackend().get_user(user.pk)
        assert loaded is not None, name
        fresh = _orm_user(user.pk)
        for field in User._meta.concrete_fields:
            assert getattr(loaded, field.attname) == getattr(fresh, field.attname), (name, field.name)
        assert access.roles_of(loaded) == access.roles_of(fresh), name
    roles = access.roles_of(ModelBackend().get_user(many.pk))  # type: ignore[arg-type]
    assert roles.district_ids == {world.district_b.pk} and roles.responder_district_ids == {world.district_a.pk}
    assert roles.school_roles == {world.school_a.pk: {Role.COUNSELOR}} and roles.is_parent


def test_an_inactive_or_unknown_user_is_nobody(world):
    parent = world.users["parent_x"]
    User.objects.filter(pk=parent.pk).update(is_active=False)
    assert ModelBackend().get_user(parent.pk) is None
    assert ModelBackend().get_user(10**12) is None


def test_a_session_reads_back_as_written_and_an_expired_one_is_empty(db):
    written = SessionStore()
    written["kept"] = {"pk": 7, "name": "小明"}
    written.save()
    assert SessionStore(written.session_key).load() == {"kept": {"pk": 7, "name": "小明"}}
    Session.objects.filter(pk=written.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    expired = SessionStore(written.session_key)
    assert expired.load() == {} and expired.session_key is None  # a new session, as Django's own store
    assert SessionStore("x" * 32).load() == {}


@pytest.mark.parametrize("persona", ["parent_x", "counselor_a"])
def test_a_signed_in_page_sees_the_person_signed_in(world, login, persona):
    response = login(world.users[persona]).get(reverse("api-me"))
    assert response.status_code == 200 and response.json()["username"] == persona


def test_the_session_row_naming_someone_else_never_decides_who_is_signed_in(world, login):
    """The user column only saves a query: the signed session data decides, as in Django."""
    client = login(world.users["parent_x"])
    Session.objects.filter(pk=client.session.session_key).update(user=world.users["counselor_a"])
    response = client.get(reverse("api-me"))
    assert response.status_code == 200 and response.json()["username"] == "parent_x"
