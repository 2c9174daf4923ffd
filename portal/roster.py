"""Reading a class list (CSV in UTF-8 or GBK, or XLSX) into validated rows.

Pure: no database access. Errors are codes with parameters so that each reader
sees them in their own language (see ROSTER_ERRORS).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from portal.models.people import Channel, Gender, Relation

MAX_ROWS = 20_000

# Column key -> header spellings accepted (compared after normalise_header).
COLUMNS: dict[str, tuple[str, ...]] = {
    "grade": ("年级", "grade"),
    "class_name": ("班级", "class"),
    "student_number": ("学号", "studentnumber", "studentno"),
    "name": ("姓名", "学生姓名", "name", "studentname"),
    "gender": ("性别", "gender"),
    "birth_date": ("出生日期", "birthdate", "dateofbirth"),
    "left_behind": ("留守儿童", "leftbehind"),
    "migrant_child": ("随迁子女", "migrantchild", "migrantworkerschild"),
    "disability": ("残疾", "残疾儿童", "disability"),
    "in_difficulty": ("困境儿童", "indifficulty"),
    "guardian_name": ("监护人姓名", "guardianname"),
    "guardian_relation": ("监护人关系", "与学生关系", "guardianrelation", "relation"),
    "guardian_mobile": ("监护人手机", "监护人手机号", "guardianmobile", "mobile"),
    "guardian_email": ("监护人邮箱", "guardianemail", "email"),
    "guardian_language": ("监护人语言", "guardianlanguage", "language"),
    "guardian_channel": ("通知方式", "guardianchannel", "channel"),
    "guardian_primary": ("主要联系人", "primarycontact", "primary"),
}
REQUIRED_COLUMNS = ("grade", "class_name", "student_number", "name", "gender", "birth_date")
FLAG_COLUMNS = ("left_behind", "migrant_child", "disability", "in_difficulty")

COLUMN_LABELS = {
    "grade": _("Grade"),
    "class_name": _("Class"),
    "student_number": _("Student number"),
    "name": _("Name"),
    "gender": _("Gender"),
    "birth_date": _("Birth date"),
    "left_behind": _("Left-behind child"),
    "migrant_child": _("Child of migrant workers"),
    "disability": _("Disability"),
    "in_difficulty": _("In difficulty"),
    "guardian_name": _("Guardian name"),
    "guardian_relation": _("Guardian relation"),
    "guardian_mobile": _("Guardian mobile"),
    "guardian_email": _("Guardian e-mail"),
    "guardian_language": _("Guardian language"),
    "guardian_channel": _("Notification channel"),
    "guardian_primary": _("Primary contact"),
    "file": _("File"),
}

# One place for every message the importer can show (STYLE: one dict per app, not strings in views).
ROSTER_ERRORS = {
    "encoding": _("The file is neither UTF-8 nor GBK text, nor an Excel (.xlsx) workbook. Save it as one of these."),
    "unreadable": _("The file could not be read. Save it again as .xlsx or .csv and retry."),
    "bad_characters": _("The cell holds control characters. Retype it or copy it without formatting."),
    "empty": _("The file has no rows below its header line."),
    "too_many_rows": _("The file has more than %(max)s rows. Split it by grade."),
    "too_large": _("The file is larger than %(max)s MB."),
    "missing_column": _("The column %(column)s is missing. Use the template's header line."),
    "duplicate_column": _("The column %(column)s appears twice."),
    "required": _("%(column)s is required."),
    "not_a_grade": _("%(value)s is not a grade (1 to 12)."),
    "grade_not_taught": _("Grade %(value)s is not taught at this school."),
    "bad_gender": _("%(value)s is not a gender: write 男 or 女 (M or F)."),
    "bad_date": _("%(value)s is not a date: write it as 2014-09-01."),
    "future_date": _("The birth date %(value)s is not in the past."),
    "bad_boolean": _("%(value)s is not yes or no: write 是 or 否."),
    "bad_relation": _("%(value)s is not a relation: write 母亲, 父亲, 祖父母 or 其他."),
    "bad_mobile": _("%(value)s is not a mobile number: write 11 digits starting with 1."),
    "bad_email": _("%(value)s is not an e-mail address."),
    "bad_language": _("%(value)s is not a language: write 中文 or English."),
    "bad_channel": _("%(value)s is not a channel: write 短信, 邮件 or 站内信."),
    "email_channel_needs_email": _("E-mail is the notification channel but there is no e-mail address."),
    "guardian_incomplete": _("A guardian needs a name, a relation and a mobile number."),
    "student_conflict": _("Student %(value)s appears again with different details (first on row %(row)s)."),
    "guardian_conflict": _("Mobile %(value)s belongs to a different guardian on row %(row)s."),
    "guardian_details_conflict": _(
        "Guardian %(value)s appears again with a different relation, e-mail, language or channel "
        "(first on row %(row)s)."
    ),
    "guardian_on_record": _(
        "Mobile %(value)s is already on record for guardian %(name)s. "
        "Correct the number, or the name if it is the same person."
    ),
    "guardian_repeated": _("This guardian is listed twice for the same student (first on row %(row)s)."),
    "two_primaries": _("Student %(value)s has more than one primary contact."),
    "apply_failed": _(
        "Applying import %(number)s failed and nothing was changed. Upload the file again; if it fails again, "
        "tell the support team the import number."
    ),
}


def error_message(error: dict[str, Any]) -> str:
    """Render one stored error in the active language."""
    params = dict(error.get("params", {}))
    if "column" in params:
        params["column"] = str(COLUMN_LABELS.get(params["column"], params["column"]))
    return str(ROSTER_ERRORS[error["code"]]) % params


@dataclass
class GuardianRow:
    """A guardian as the file gives them. None means "blank: keep what is on record"."""

    name: str
    relation: str
    mobile: str
    email: str | None
    language: str | None
    channel: str | None
    primary: bool | None  # True: 是, False: 否, None: blank

    def details(self) -> tuple[Any, ...]:
        return (self.name, self.relation, self.email, self.language, self.channel)


@dataclass
class StudentRow:
    row: int
    grade: int
    class_name: str
    student_number: str
    name: str
    gender: str
    birth_date: dt.date
    left_behind: bool = False
    migrant_child: bool = False
    disability: bool = False
    in_difficulty: bool = False
    guardians: list[GuardianRow] = field(default_factory=list)

    def student_fields(self) -> tuple[Any, ...]:
        return (
            self.grade,
            self.class_name,
            self.name,
            self.gender,
            self.birth_date,
            self.left_behind,
            self.migrant_child,
            self.disability,
            self.in_difficulty,
        )


@dataclass
class ParsedRoster:
    students: list[StudentRow]
    errors: list[dict[str, Any]]
    row_count: int
    # Columns the header had: a column the file leaves out is never overwritten on re-import.
    columns: frozenset[str] = frozenset()


def _err(line: int, column: str, code: str, **params: Any) -> dict[str, Any]:
    """One error: the spreadsheet row (0 for the whole file), the column key, a ROSTER_ERRORS code."""
    return {"row": line, "column": column, "code": code, "params": {"column": column, **params}}


def normalise_header(text: str) -> str:
    return re.sub(r"[\s_\-'’*（）()]", "", str(text)).lower()


_HEADER_INDEX = {normalise_header(alias): key for key, aliases in COLUMNS.items() for alias in aliases}

_GENDERS = {
    "男": Gender.MALE,
    "m": Gender.MALE,
    "male": Gender.MALE,
    "女": Gender.FEMALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
}
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "n", "no", "false", "0", ""}
_RELATIONS = {
    "母亲": Relation.MOTHER,
    "妈妈": Relation.MOTHER,
    "mother": Relation.MOTHER,
    "父亲": Relation.FATHER,
    "爸爸": Relation.FATHER,
    "father": Relation.FATHER,
    "祖父母": Relation.GRANDPARENT,
    "外祖父母": Relation.GRANDPARENT,
    "爷爷": Relation.GRANDPARENT,
    "奶奶": Relation.GRANDPARENT,
    "外公": Relation.GRANDPARENT,
    "外婆": Relation.GRANDPARENT,
    "grandparent": Relation.GRANDPARENT,
    "其他": Relation.OTHER,
    "other": Relation.OTHER,
}
_LANGUAGES = {
    "中文": "zh-hans",
    "zh": "zh-hans",
    "zh-hans": "zh-hans",
    "chinese": "zh-hans",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "en": "en",
}
_CHANNELS = {
    "短信": Channel.SMS,
    "sms": Channel.SMS,
    "邮件": Channel.EMAIL,
    "电子邮件": Channel.EMAIL,
    "email": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "站内信": Channel.INBOX,
    "inbox": Channel.INBOX,
}
_MOBILE = re.compile(r"^1\d{10}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


# Blank rows read, past the rows limit, before a sheet is refused: spreadsheets keep a few formatted empty rows, but
# a small XLSX can unpack to millions of them.
BLANK_ROWS_FACTOR = 5


def read_table(content: bytes, *, max_rows: int | None = None) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """Bytes of a CSV or XLSX file -> rows of cell texts (header first), or file-level errors. With `max_rows`,
    reading stops as soon as the sheet has more rows than that below its header ("too_many_rows"), blank rows not
    counted up to BLANK_ROWS_FACTOR times as many: a sheet is never held whole in memory to be refused."""
    if content[:4] == b"PK\x03\x04":
        return _read_xlsx(content, max_rows)
    for encoding in ("utf-8-sig", "gb18030"):  # GB18030 is a superset of GBK, as Excel on Chinese Windows saves it.
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return _capped(([cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))), max_rows)
        except csv.Error:  # e.g. a field longer than the csv module's limit
            return [], [_err(0, "file", "unreadable")]
    return [], [_err(0, "file", "encoding")]


def _capped(rows: Iterable[list[str]], max_rows: int | None) -> tuple[list[list[str]], list[dict[str, Any]]]:
    if max_rows is None:
        return list(rows), []
    kept: list[list[str]] = []
    filled = 0
    for row in rows:
        kept.append(row)
        filled += any(row)
        if filled > max_rows + 1 or len(kept) > BLANK_ROWS_FACTOR * (max_rows + 1):
            return [], [_err(0, "file", "too_many_rows", max=max_rows)]
    return kept, []


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(content: bytes, max_rows: int | None) -> tuple[list[list[str]], list[dict[str, Any]]]:
    from openpyxl import load_workbook

    # openpyxl raises many kinds of error for a damaged file, while opening or while reading rows
    # (zip, XML, key errors...); all of them mean "unreadable" to the person uploading it.
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001
        return [], [_err(0, "file", "unreadable")]
    try:
        sheet = workbook.worksheets[0]
        return _capped(([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)), max_rows)
    except Exception:  # noqa: BLE001
        return [], [_err(0, "file", "unreadable")]
    finally:
        workbook.close()


def parse_roster(content: bytes, *, grades: Iterable[int], today: dt.date) -> ParsedRoster:
    table, errors = read_table(content, max_rows=MAX_ROWS)
    if errors:
        return ParsedRoster([], errors, 0)
    # Number rows as the spreadsheet does (header = 1) before dropping blank ones, so errors point at the right row.
    numbered = [(number, row) for number, row in enumerate(table, start=1) if any(cell for cell in row)]
    if len(numbered) < 2:
        return ParsedRoster([], [_err(0, "file", "empty")], 0)
    header, body = numbered[0][1], numbered[1:]

    index: dict[str, int] = {}
    for position, text in enumerate(header):
        key = _HEADER_INDEX.get(normalise_header(text))
        if key is None:
            continue  # Extra columns (remarks, phone of a second guardian...) are ignored.
        if key in index:
            errors.append(_err(1, key, "duplicate_column"))
        index[key] = position
    errors += [_err(1, key, "missing_column") for key in REQUIRED_COLUMNS if key not in index]
    if errors:
        return ParsedRoster([], errors, len(body))

    allowed_grades = set(grades)
    students: dict[str, StudentRow] = {}
    guardians_by_mobile: dict[str, tuple[int, GuardianRow]] = {}
    for row_number, cells in body:

        def cell(key: str, cells: list[str] = cells) -> str:
            position = index.get(key)
            return cells[position].strip() if position is not None and position < len(cells) else ""

        row_errors: list[dict[str, Any]] = [
            _err(row_number, key, "bad_characters") for key in index if _CONTROL.search(cell(key))
        ]
        if row_errors:
            errors += row_errors
            continue
        parsed = _parse_student(row_number, cell, allowed_grades, today, row_errors)
        guardian = _parse_guardian(row_number, cell, row_errors)
        if row_errors or parsed is None:
            errors += row_errors
            continue
        number = parsed.student_number
        existing = students.get(number)
        if existing is None:
            students[number] = existing = parsed
        elif existing.student_fields() != parsed.student_fields():
            errors.append(_err(row_number, "student_number", "student_conflict", value=number, row=existing.row))
            continue
        if guardian is None:
            continue
        first_row, first = guardians_by_mobile.setdefault(guardian.mobile, (row_number, guardian))
        if first.name != guardian.name:
            errors.append(
                _err(row_number, "guardian_mobile", "guardian_conflict", value=guardian.mobile, row=first_row)
            )
            continue
        if first.details() != guardian.details():
            errors.append(
                _err(row_number, "guardian_name", "guardian_details_conflict", value=guardian.name, row=first_row)
            )
            continue
        if any(g.mobile == guardian.mobile for g in existing.guardians):
            errors.append(_err(row_number, "guardian_mobile", "guardian_repeated", row=first_row))
            continue
        existing.guardians.append(guardian)

    for student in students.values():
        if sum(g.primary is True for g in student.guardians) > 1:
            errors.append(_err(student.row, "guardian_primary", "two_primaries", value=student.student_number))
    return ParsedRoster(list(students.values()), errors, len(body), frozenset(index))


def _parse_student(
    row: int, cell: Any, grades: set[int], today: dt.date, errors: list[dict[str, Any]]
) -> StudentRow | None:
    for key in REQUIRED_COLUMNS:
        if not cell(key):
            errors.append(_err(row, key, "required"))
    if errors:
        return None
    grade_text = cell("grade")
    grade = _parse_grade(grade_text)
    if grade is None:
        errors.append(_err(row, "grade", "not_a_grade", value=grade_text))
    elif grade not in grades:
        errors.append(_err(row, "grade", "grade_not_taught", value=grade))
    gender = _GENDERS.get(cell("gender").lower())
    if gender is None:
        errors.append(_err(row, "gender", "bad_gender", value=cell("gender")))
    birth_date = _parse_date(cell("birth_date"))
    if birth_date is None:
        errors.append(_err(row, "birth_date", "bad_date", value=cell("birth_date")))
    elif birth_date >= today:
        errors.append(_err(row, "birth_date", "future_date", value=cell("birth_date")))
    flags = {}
    for key in FLAG_COLUMNS:
        value = cell(key).lower()
        if value in _TRUE:
            flags[key] = True
        elif value in _FALSE:
            flags[key] = False
        else:
            errors.append(_err(row, key, "bad_boolean", value=cell(key)))
    if errors:
        return None
    if grade is None or gender is None or birth_date is None:  # unreachable: each failure added an error
        return None
    return StudentRow(
        row=row,
        grade=grade,
        class_name=cell("class_name"),
        student_number=cell("student_number"),
        name=cell("name"),
        gender=gender,
        birth_date=birth_date,
        left_behind=flags["left_behind"],
        migrant_child=flags["migrant_child"],
        disability=flags["disability"],
        in_difficulty=flags["in_difficulty"],
    )


def _parse_guardian(row: int, cell: Any, errors: list[dict[str, Any]]) -> GuardianRow | None:
    name, relation_text, mobile_text = cell("guardian_name"), cell("guardian_relation"), cell("guardian_mobile")
    optional = [cell(k) for k in ("guardian_email", "guardian_language", "guardian_channel", "guardian_primary")]
    if not (name or relation_text or mobile_text or any(optional)):
        return None
    if not (name and relation_text and mobile_text):
        errors.append(_err(row, "guardian_name", "guardian_incomplete"))
        return None
    start = len(errors)
    relation = _RELATIONS.get(relation_text.lower())
    if relation is None:
        errors.append(_err(row, "guardian_relation", "bad_relation", value=relation_text))
    mobile = re.sub(r"[\s-]", "", mobile_text).removeprefix("+86")
    if not _MOBILE.match(mobile):
        errors.append(_err(row, "guardian_mobile", "bad_mobile", value=mobile_text))
    email = cell("guardian_email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(_err(row, "guardian_email", "bad_email", value=email))
    # Blank language, channel or e-mail: keep what is on record (a new guardian gets Chinese and SMS).
    language_text, channel_text = cell("guardian_language"), cell("guardian_channel")
    language = _LANGUAGES.get(language_text.lower()) if language_text else None
    if language_text and language is None:
        errors.append(_err(row, "guardian_language", "bad_language", value=language_text))
    channel = _CHANNELS.get(channel_text.lower()) if channel_text else None
    if channel_text and channel is None:
        errors.append(_err(row, "guardian_channel", "bad_channel", value=channel_text))
    elif channel == Channel.EMAIL and not email:
        errors.append(_err(row, "guardian_email", "email_channel_needs_email"))
    primary_text = cell("guardian_primary").lower()
    if primary_text not in _TRUE | _FALSE:
        errors.append(_err(row, "guardian_primary", "bad_boolean", value=cell("guardian_primary")))
    if len(errors) > start or relation is None:
        return None
    return GuardianRow(
        name=name,
        relation=relation,
        mobile=mobile,
        email=email or None,
        language=language,
        channel=channel,
        primary=None if not primary_text else primary_text in _TRUE,
    )


def _parse_grade(text: str) -> int | None:
    # Accept "4", "4年级", "四年级", "初一" (grade 7), "高一" (grade 10).
    numerals = "一二三四五六七八九"
    text = text.replace("年级", "").strip()
    prefix = {"初": 6, "高": 9}
    offset = 0
    if text[:1] in prefix:
        offset, text = prefix[text[0]], text[1:]
    if text in numerals:
        value = numerals.index(text) + 1
    elif text == "十":
        value = 10
    elif text in ("十一", "十二"):
        value = 10 + numerals.index(text[1]) + 1
    elif text.isdecimal() and text.isascii():
        value = int(text)
    else:
        return None
    value += offset
    return value if 1 <= value <= 12 else None


def _parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone.
        except ValueError:
            continue
    return None


TEMPLATE_HEADER = [
    "年级",
    "班级",
    "学号",
    "姓名",
    "性别",
    "出生日期",
    "留守儿童",
    "随迁子女",
    "残疾",
    "困境儿童",
    "监护人姓名",
    "监护人关系",
    "监护人手机",
    "监护人邮箱",
    "监护人语言",
    "通知方式",
    "主要联系人",
]
