"""Class-list files for the import tests, built in memory."""

import csv
import io

from openpyxl import Workbook

HEADER = ["年级", "班级", "学号", "姓名", "性别", "出生日期", "留守儿童", "随迁子女", "残疾", "困境儿童",
          "监护人姓名", "监护人关系", "监护人手机", "监护人邮箱", "监护人语言", "通知方式", "主要联系人"]  # fmt: skip

GOOD_ROWS = [
    ["7", "1班", "20260001", "李明", "男", "2013-03-02", "是", "否", "否", "否",
     "李建国", "父亲", "13811110001", "", "中文", "短信", "是"],
    ["7", "1班", "20260001", "李明", "男", "2013-03-02", "是", "否", "否", "否",
     "王芳", "母亲", "13811110002", "wf@example.com", "English", "邮件", "否"],
    ["7", "2班", "20260002", "张静", "女", "2013/07/15", "否", "是", "否", "否",
     "张伟", "父亲", "+86 138-1111-0003", "", "", "", ""],
    ["初二", "1班", "20250003", "赵雷", "男", "2012年1月9日", "", "", "", "",
     "", "", "", "", "", "", ""],
]  # fmt: skip


def csv_bytes(rows, *, header=HEADER, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def sheet_bytes(rows) -> bytes:
    """An .xlsx file whose first sheet holds `rows` as given (header included)."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(rows, *, header=HEADER) -> bytes:
    # Excel keeps numbers as numbers: grade and student number arrive as ints.
    return sheet_bytes([header, *([int(c) if c.isdigit() and i in (0, 2) else c for i, c in enumerate(row)]
                                  for row in rows)])  # fmt: skip
