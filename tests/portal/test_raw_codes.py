"""Words, never codes (UX rule 3; issue 20, item 3): every page each persona reaches, rendered over records that
carry codes (a PHQ-9 band, an ASQ outcome, validity flags, tiers, a session record, audit events, an on-call
shift), shows none in its visible text: no snake_case token (`non_acute_positive`, a username such as
`counselor_a`), no dotted event code (`student.view`), no instrument code (`phq9`), no tier as a bare digit,
no band or Python value left untranslated, and nobody's username (every user has a full name here).

Only visible text is checked: tags, attributes, scripts and styles are stripped. The pages are taken from the
access matrix (tests/portal/test_access_matrix.py), so a new page is checked as soon as it has a case there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import timezone

from portal.models import User
from tests.conftest import PERSONAS, World
from tests.portal.test_access_matrix import CASES, _clients, _expected, _is_api, route_url, target

CODES = [
    ("snake_case", re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")),
    ("event code", re.compile(r"\b[a-z]{3,}\.[a-z_]{3,}\b")),
    ("instrument code", re.compile(r"\b(?:phq9|gad7|asq|scared|psc17y?)\b")),
    ("tier as a digit", re.compile(r"(?<![0-9])[0-3]\s*级")),  # "2级风险": the ledger says 严重（二级）
    # In Chinese pages, a lowercase English band or result is a code that was never turned into words.
    ("band code", re.compile(r"\b(?:minimal|mild|moderate|moderately|severe|negative)\b")),
    ("Python value", re.compile(r"\b(?:None|True|False)\b")),
]
# Dotted words that are no event code: addresses and file names.
NOT_EVENTS = re.compile(r"\.(?:org|com|net|cn|invalid|example|test|pdf|csv|xlsx|ics|txt|png|svg|html)\b")
ADDRESSES = re.compile(r"\S+://\S+|\S+@\S+")
TIER_LABEL = re.compile(r"tier|级别|等级", re.IGNORECASE)
TIER_NAMED = re.compile(r"[0-9]|[一二三]级")  # "Tier 2" over a column of counts: the heading names the tier

# Codes a page shows on purpose, each with why (an entry no longer found is harmless): (route, finding) -> why.
OWNED_ELSEWHERE: dict[tuple[str, str], str] = {
    # The paper sheet's 量表 column takes the instrument's code, so its hint must name one (it should list each code
    # beside the instrument's name).
    ("screening:paper_import", "instrument code: phq9"): "the code is what the sheet's column takes",
}  # fmt: skip


class Visible(HTMLParser):
    """The text a reader sees, and each table cell or definition with the heading it stands under."""

    HIDDEN = frozenset({"script", "style", "template", "noscript", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.labelled: list[tuple[str, str]] = []  # (heading, value)
        self._hidden = 0
        self._cell: list[str] | None = None
        self._cell_tag = ""
        self._headers: list[list[str]] = []  # per open table
        self._column: list[int] = []
        self._term = ""

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag == "table":
            self._headers.append([])
            self._column.append(0)
        elif tag == "tr" and self._column:
            self._column[-1] = 0
        elif tag in ("th", "td", "dt", "dd"):
            self._cell, self._cell_tag = [], tag

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "table" and self._headers:
            self._headers.pop()
            self._column.pop()
        elif tag in ("th", "td", "dt", "dd") and self._cell is not None:
            value = " ".join("".join(self._cell).split())
            if tag == "th" and self._headers:
                self._headers[-1].append(value)
            elif tag == "td" and self._headers:
                column = self._column[-1]
                heads = self._headers[-1]
                self.labelled.append((heads[column] if column < len(heads) else "", value))
                self._column[-1] += 1
            elif tag == "dt":
                self._term = value
            elif tag == "dd":
                self.labelled.append((self._term, value))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def raw_codes(html: str, usernames: frozenset[str] = frozenset()) -> list[str]:
    """What on this page is a code rather than words (empty when the page reads as words)."""
    parser = Visible()
    parser.feed(html)
    text = ADDRESSES.sub(" ", " ".join(parser.text))
    found = []
    for name, pattern in CODES:
        for match in pattern.finditer(text):
            token = match.group(0)
            if name == "event code" and NOT_EVENTS.search(token[token.index(".") :]):
                continue
            found.append(f"{name}: {token}")
    found += [f"username: {word}" for word in set(re.findall(r"[\w.@+-]+", text)) & usernames]
    found += [
        f"tier as a digit: {label} = {value}"
        for label, value in parser.labelled
        if TIER_LABEL.search(label) and not TIER_NAMED.search(label) and re.fullmatch(r"[0-3]", value)
    ]
    return sorted(set(found))


# --- the records the pages show ------------------------------------------------------------------------------


def _clinical_records(world: World) -> None:
    """Results that carry every kind of code, a session record, and audit events of several kinds."""
    from counseling.models import Booking
    from screening.models import Participation, Response, ResponseStatus
    from screening.services import latest_instruments

    instruments = latest_instruments()
    participation = Participation.objects.get(campaign=world.campaign_a, student=world.student_x)
    now = timezone.now()
    results = [
        ("phq9", {"total": 7, "band": "mild", "positive": False, "suggested_tier": 1,
                  "review_flags": ["too_fast", "identical_answers"]}),
        ("asq", {"outcome": "non_acute_positive", "positive": True, "critical": False, "suggested_tier": 2}),
    ]  # fmt: skip
    for code, result in results:
        Response.objects.update_or_create(
            participation=participation, instrument=instruments[code],
            defaults={"status": ResponseStatus.SCORED, "valid": True, "submitted_at": now, "scored_at": now,
                      "scored_with": instruments[code], **result},
        )  # fmt: skip
    world.record_x  # noqa: B018 (a session record in student X's file)
    booking = world.booking_x
    Booking.objects.filter(pk=booking.pk).update(status=booking.status)  # a "booking.bulk_update" event
    target(world, "shift_a")  # someone on call


def _name_everyone() -> frozenset[str]:
    """Give every account a full name (people appear by name) and return the usernames, none of which may show."""
    for user in User.objects.filter(first_name="", last_name=""):
        user.first_name, user.last_name = f"名{user.pk}", "张"
        user.save(update_fields=["first_name", "last_name"])
    return frozenset(User.objects.values_list("username", flat=True))


def _pages(persona: str) -> Iterator[tuple[str, str | None]]:
    """The HTML pages this persona is let in to (a 200 in the access matrix)."""
    for case in CASES:
        route, method, key, allowed, ok, *rest = case
        if method != "get" or _is_api(route):
            continue
        if _expected(route, persona, frozenset(allowed), ok, rest[0] if rest else {}) == 200:
            yield route, key


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_show_words_not_codes(world, persona):
    _clinical_records(world)
    pages = list(_pages(persona))
    urls = {(route, key): route_url(world, route, key) for route, key in pages}  # objects made before naming
    usernames = _name_everyone()
    client = _clients(world)[persona]
    client.raise_request_exception = False  # a page that fails is reported with the rest, not alone
    # The leader's access log must have something to say about student X: the file and the record, opened.
    _clients(world)["counselor_a"].get(route_url(world, "screening:student_file", "student_x"))
    _clients(world)["counselor_a"].get(route_url(world, "counseling:record", "record_x"))
    found = []
    for (route, key), url in urls.items():
        response = client.get(url)
        if response.status_code != 200:
            found.append(f"{route} ({key}): not checked, the page answered {response.status_code}")
            continue
        if not response["Content-Type"].startswith("text/html"):
            continue
        for code in raw_codes(response.content.decode(), usernames):
            if (route, code) not in OWNED_ELSEWHERE:
                found.append(f"{route} ({key}): {code}")
    assert found == [], "\n".join(found)


# --- the check itself: it must catch codes in visible text and only there --------------------------------------


def test_a_code_in_visible_text_is_found():
    page = """<p>non_acute_positive · student.view · phq9 1.0.0 · 2级风险 · mild · None</p>
    <table><tr><th>Suggested tier</th><th>Total</th></tr><tr><td>2</td><td>7</td></tr></table>
    <dl><dt>建议等级</dt><dd>3</dd></dl>"""
    assert raw_codes(page, frozenset({"counselor_a"})) == sorted([
        "snake_case: non_acute_positive", "event code: student.view", "instrument code: phq9",
        "tier as a digit: 2级", "band code: mild", "Python value: None",
        "tier as a digit: Suggested tier = 2", "tier as a digit: 建议等级 = 3",
    ])  # fmt: skip


def test_codes_in_tags_attributes_and_scripts_are_not_text():
    page = """<form><input name="review_flags" value="too_fast"><select name="code"><option value="phq9">
    患者健康问卷（PHQ-9） (2.0.0)</option></select></form><script>var a = "student.view";</script>
    <a href="/screening/student_file/">严重（二级）</a><p>help@school.example · https://x.example.org/a_b.c</p>
    <table><tr><th>Total</th><th>Tier 2</th><th>二级</th></tr><tr><td>2</td><td>3</td><td>1</td></tr></table>"""
    assert raw_codes(page) == []


def test_a_username_shown_is_found():
    assert raw_codes("<td>counselor_a</td><td>user12</td>", frozenset({"user12"})) == [
        "snake_case: counselor_a", "username: user12",
    ]  # fmt: skip
