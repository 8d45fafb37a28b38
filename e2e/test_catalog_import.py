"""Journey: a manager uploads a catalogue workbook in the browser and watches it import."""

import pytest

from e2e.conftest import screenshot
from e2e.test_bureau_creates_center import sign_in
from servicehall.catalog.models import ItemChange
from servicehall.catalog.tests.test_excel import new_row, workbook
from servicehall.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_uploads_a_workbook_and_sees_progress_and_the_result(live_server, page, tmp_path):
    Personas.build()
    file = tmp_path / "事项清单.xlsx"
    file.write_bytes(workbook(items=[new_row(n, f"法律咨询{n}号") for n in range(1, 121)]))
    sign_in(page, live_server.url, "manager_a")
    page.goto(f"{live_server.url}/catalog/import/")
    page.set_input_files("#id_file", str(file))
    page.get_by_role("button", name="导入").click()
    result = page.locator("#import-report")
    result.wait_for()
    assert "导入完成：共120行，新增事项120项" in result.inner_text()
    assert page.locator(".progress-line").last.inner_text() == "已处理 120/120 行"
    assert page.locator(".progress-line:visible").count() == 1  # only the latest line shows
    screenshot(page, "catalog-import-done")
    assert ItemChange.objects.count() == 120
