"""Wrong codes typed without an account are counted per address and per code (issue 24, finding 7).

A school's pupils share one address (its NAT). Counted per address alone, twenty wrong codes from one pupil
locked every code of the school for fifteen minutes. Now a wrong code costs its address and its group (the
code's first four characters): ten wrong tries of codes beginning alike lock that group only, and
SCREENING_CODE_TRIES wrong codes of any kind still lock the address, so blind guessing stays bounded.

Each of the four doors a code opens is tried: the screening form, the kiosk API, the booking page, the mailbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from portal import codes
from screening.models import Participation
from tests.screening.conftest import consent

SCHOOL_NAT = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


@dataclass
class Door:
    kind: str
    open: Callable[[Client, str], str]  # "opened", "wrong" or "too_many"
    codes: Callable[[object], tuple[str, str]]  # two right codes, of two classmates


def _screening_codes(world) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    found = []
    for student in (world.student_x, world.student_w):
        participation = Participation.objects.get(campaign=world.campaign_a, student=student)
        consent(participation)
        found.append(participation.code)
    return found[0], found[1]


def _take(client: Client, code: str) -> str:
    response = client.post(reverse("screening:take"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en")
    if response.status_code == 302:
        return "opened"
    return "too_many" if "Too many tries" in response.content.decode() else "wrong"


def _kiosk(client: Client, code: str) -> str:
    response = client.post(reverse("api-screening-open"), {"code": code}, content_type="application/json")
    return {200: "opened", 429: "too_many"}.get(response.status_code, "wrong")


def _booking_codes(world) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from counseling.services import booking_codes_issue

    booking_codes_issue(students=[world.student_x, world.student_w])
    world.student_x.refresh_from_db()
    world.student_w.refresh_from_db()
    return world.student_x.booking_code.code, world.student_w.booking_code.code


def _book(client: Client, code: str) -> str:
    response = client.post(reverse("counseling:student_start"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en")
    if response.status_code == 302:
        return "opened"
    return "too_many" if "Too many tries" in response.content.decode() else "wrong"


def _mailbox_codes(world) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from counseling.services import mailbox_post

    first = mailbox_post(school=world.school_a, body="最近睡不好").reply_code
    return first, mailbox_post(school=world.school_a, body="和同桌吵架了").reply_code


def _mailbox(client: Client, code: str) -> str:
    response = client.post(reverse("counseling:mailbox_read"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en")
    if response.context["message"] is not None:
        return "opened"
    return "too_many" if "Too many tries" in response.content.decode() else "wrong"


DOORS = [
    Door("screening form", _take, _screening_codes),
    Door("kiosk", _kiosk, _screening_codes),
    Door("booking", _book, _booking_codes),
    Door("mailbox", _mailbox, _mailbox_codes),
]


def _group(code: str) -> str:
    return codes.normalise(code)[:4]


def _wrong_codes(count: int, *, avoiding: tuple[str, ...] = (), starting: str = "") -> list[str]:
    """Codes that open nothing: random ones in groups of their own, or all beginning with `starting`."""
    made: list[str] = []
    while len(made) < count:
        code = (starting + codes.new_code(group=0))[:8] if starting else codes.new_code()
        if starting or _group(code) not in {_group(c) for c in avoiding}:
            made.append(code)
    return made


def _at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


@pytest.mark.parametrize("door", DOORS, ids=[d.kind for d in DOORS])
def test_a_classmate_behind_the_same_address_still_opens_their_own_code(world, door):
    """Sixty wrong codes from one pupil (three times the old limit) lock nobody else out."""
    mine, classmates = door.codes(world)
    guesser = _at(SCHOOL_NAT)
    results = {door.open(guesser, code) for code in _wrong_codes(60, avoiding=(mine, classmates))}
    assert results == {"wrong"}
    assert door.open(_at(SCHOOL_NAT), classmates) == "opened"
    assert door.open(_at(SCHOOL_NAT), mine) == "opened"


@pytest.mark.parametrize("door", DOORS, ids=[d.kind for d in DOORS])
def test_ten_wrong_tries_of_one_code_lock_that_code_alone(world, door):
    mine, classmates = door.codes(world)
    assert _group(mine) != _group(classmates)
    school = _at(SCHOOL_NAT)
    tries = [door.open(school, code) for code in _wrong_codes(11, starting=_group(mine))]
    assert tries == ["wrong"] * 10 + ["too_many"]
    assert door.open(school, mine) == "too_many"  # even the right one: its group is used up here
    assert door.open(_at(SCHOOL_NAT), classmates) == "opened"
    assert door.open(_at(ELSEWHERE), mine) == "opened"  # and from another address


@pytest.mark.parametrize("door", DOORS, ids=[d.kind for d in DOORS])
def test_blind_guessing_stays_bounded_per_address(world, door, settings):
    settings.SCREENING_CODE_TRIES = 25
    mine, classmates = door.codes(world)
    guesser = _at(SCHOOL_NAT)
    tries = [door.open(guesser, code) for code in _wrong_codes(26, avoiding=(mine, classmates))]
    assert tries == ["wrong"] * 25 + ["too_many"]
    assert door.open(_at(SCHOOL_NAT), classmates) == "too_many"  # the address is used up: even right codes wait
    assert door.open(_at(ELSEWHERE), classmates) == "opened"


def test_the_defaults_keep_guessing_bounded(settings):
    """400 wrong codes an hour per address at most; each finds a live one with odds of (codes issued) in 31^8."""
    assert (settings.SCREENING_CODE_TRIES, settings.CODE_TRIES_PER_CODE) == (100, 10)
