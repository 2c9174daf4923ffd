"""Through a real browser, an official's morning: the district dashboard says how fresh its figures are, and the
export opens in a spreadsheet with numbers as numbers and small groups hidden."""

import openpyxl

from dashboards import services
from tests.e2e.test_on_call import _sign_in_with_second_factor


def test_from_the_dashboard_to_an_export(world, desktop, shot, tmp_path):
    assert world.campaign_a.school_year  # the school year under way, which figures are kept for
    services.refresh(world.district_a)
    _sign_in_with_second_factor(desktop, world.users["official_a"])
    desktop.click("header nav >> text=数据看板")
    main = desktop.locator("main").inner_text()
    assert "数据截至" in main  # "as of HH:MM": figures stamped with their time
    shot(desktop, "official-1-dashboard")

    with desktop.expect_download() as download:
        desktop.click("main >> text=XLSX")
    path = tmp_path / "dashboard.xlsx"
    download.value.save_as(path)
    header, *rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert [row[0] for row in rows] == ["School A", "School B"]
    staff = [header.index("专职"), header.index("兼职")]
    children = [i for i, name in enumerate(header) if name in ("应参加", "已完成", "一级", "二级", "三级", "爽约")]
    for row in rows:
        assert all(isinstance(row[i], int) for i in staff)  # numbers as numbers, not text
        assert all(row[i] == "<5" or (isinstance(row[i], int) and row[i] >= 5) for i in children)  # never a small count
