"""Every imported file has a bytes limit and a rows limit, refused with a translated error beside the file field and
nothing changed (issue 24, item 5.4): the class list, paper screening forms, training attendance and the teacher
roster. Rows are counted as the sheet is read, so a small XLSX that unpacks to millions of rows is never held."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import Membership, RosterImport, Student
from portal.roster import read_table
from screening.models import Response
from tests.portal.rosters import GOOD_ROWS, csv_bytes, sheet_bytes
from tests.screening.conftest import consent, participation_of
from training.models import Enrolment


def _field_error(page) -> str:  # type: ignore[no-untyped-def]
    """The errors shown beside the file field (the form comes back, status 200)."""
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('id="id_file_error"')
    return html[start : html.index("</ul>", start)]


def _roster(world, login, content: bytes):  # type: ignore[no-untyped-def]
    client = login(world.users["counselor_a"])
    upload = SimpleUploadedFile("list.csv", content)
    return client.post(reverse("roster_import_new"), {"school": world.school_a.pk, "file": upload})


def _paper(world, login, content: bytes):  # type: ignore[no-untyped-def]
    consent(participation_of(world.campaign_a, world.student_x))
    client = login(world.users["counselor_a"])
    url = reverse("screening:paper_import", args=[world.campaign_a.pk])
    return client.post(url, {"file": SimpleUploadedFile("answers.csv", content)})


def _attendance(world, login, content: bytes):  # type: ignore[no-untyped-def]
    world.enrolment_a  # noqa: B018 - counselor A enrolled in session A
    client = login(world.users["official_a"])
    url = reverse("training:attendance_import", args=[world.session_a.pk])
    return client.post(url, {"file": SimpleUploadedFile("a.csv", content)})


def _teachers(world, login, content: bytes):  # type: ignore[no-untyped-def]
    client = login(world.users["leader_a"])
    return client.post(reverse("training:roster_import"), {"file": SimpleUploadedFile("r.csv", content)})


def _paper_rows(world, n: int) -> bytes:
    number = world.student_x.student_number
    lines = ["学号,量表," + ",".join(str(i) for i in range(1, 10)), *[f"{number},phq9,0,0,0,0,0,0,0,0,0"] * n]
    return "\n".join(lines).encode()


# (name, post, the module whose MAX_ROWS limits it, the bytes setting, a sheet of n rows, nothing changed)
IMPORTS = {
    "class list": (_roster, "portal.roster", "ROSTER_IMPORT_MAX_BYTES",
                   lambda w, n: csv_bytes([GOOD_ROWS[0]] * n),
                   lambda w: not Student.objects.filter(student_number=GOOD_ROWS[0][2]).exists()),
    "paper forms": (_paper, "screening.paper", "IMPORT_MAX_BYTES", _paper_rows,
                    lambda w: not Response.objects.exists()),
    "training attendance": (_attendance, "training.services", "IMPORT_MAX_BYTES",
                            lambda w, n: "\n".join(["用户名,出勤", *["counselor_a,是"] * n]).encode(),
                            lambda w: Enrolment.objects.get(pk=w.enrolment_a.pk).status == "enrolled"),
    "teacher roster": (_teachers, "training.services", "IMPORT_MAX_BYTES",
                       lambda w, n: "\n".join(["用户名,专兼职", *["counselor_a,兼职"] * n]).encode(),
                       lambda w: Membership.objects.get(user=w.users["counselor_a"]).employment == "full_time"),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(IMPORTS))
def test_a_file_past_the_bytes_limit_is_refused_beside_the_field(world, login, settings, kind):
    post, _module, setting, sheet, unchanged = IMPORTS[kind]
    content = sheet(world, 3)
    setattr(settings, setting, len(content) - 1)
    limit = f"{(len(content) - 1) / 2**20:g}"
    assert f"文件超过 {limit} MB。" in _field_error(post(world, login, content))
    assert unchanged(world)


@pytest.mark.parametrize("kind", list(IMPORTS))
def test_a_file_past_the_rows_limit_is_refused_beside_the_field(world, login, monkeypatch, kind):
    post, module, _setting, sheet, unchanged = IMPORTS[kind]
    monkeypatch.setattr(f"{module}.MAX_ROWS", 2)
    assert "文件超过 2 行" in _field_error(post(world, login, sheet(world, 3)))
    assert unchanged(world)
    if kind == "class list":  # the refused upload is on record, empty, like any refused import
        assert RosterImport.objects.filter(school=world.school_a, status="refused", content=b"").exists()


@pytest.mark.parametrize("kind", list(IMPORTS))
def test_a_file_at_the_rows_limit_is_read(world, login, monkeypatch, kind):
    post, module, _setting, sheet, unchanged = IMPORTS[kind]
    monkeypatch.setattr(f"{module}.MAX_ROWS", 3)
    page = post(world, login, sheet(world, 3))
    assert "文件超过" not in page.content.decode()


def test_rows_are_counted_while_the_sheet_is_read():
    """Blank rows are not counted against the limit, up to five times as many; past that the sheet is refused."""
    rows = [["学号", "量表"], ["1", "phq9"], *[[""] * 2] * 10, ["2", "phq9"]]
    assert read_table(sheet_bytes(rows), max_rows=2)[1] == []
    assert [e["code"] for e in read_table(sheet_bytes(rows), max_rows=1)[1]] == ["too_many_rows"]
    blank = [["学号", "量表"], *[[""] * 2] * 20, ["1", "phq9"]]
    assert [e["code"] for e in read_table(sheet_bytes(blank), max_rows=3)[1]] == ["too_many_rows"]
    assert read_table(sheet_bytes(blank), max_rows=3 + 1)[1] == []
    table, errors = read_table(csv_bytes([GOOD_ROWS[0]] * 5), max_rows=4)
    assert (table, [e["params"]["max"] for e in errors]) == ([], [4])
