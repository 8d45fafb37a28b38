"""Writes `12345-export.xlsx` beside this file: six work orders of the 12345 hotline for the
Longgang demo centres, in the layout `complaints.hotline.hotline_import` reads (a title line,
then the header row, then one work order a row, 受理时间 as Excel dates).

    .venv/bin/python -m servicehall.complaints.demo.make_12345_export

The file is byte-for-byte the same each time it is written (fixed timestamps inside), so the
committed copy can be checked against this script.
"""

from datetime import datetime
from pathlib import Path

from servicehall.lib.exports import add_sheet, new_workbook, workbook_bytes, write_row

PATH = Path(__file__).resolve().parent / "12345-export.xlsx"
FIXED = (datetime(2026, 12, 5, 18, 0), (2026, 12, 5, 18, 0, 0))
TITLE_LINE = "龙港区12345政务服务便民热线 工单导出（2026-11-30至2026-12-04，承办单位：区营商局）"
HEADERS = ["工单编号", "受理时间", "诉求类型", "涉及中心", "标题", "诉求内容", "来电人", "联系电话", "涉及窗口",
           "涉及办件编号", "办理时限", "派单时间"]
WIDTHS = [18, 18, 9, 34, 26, 60, 9, 14, 9, 14, 9, 18]
# 工单编号, 受理时间, 诉求类型, 涉及中心 (code or full name), 标题, 诉求内容, 来电人, 联系电话, 涉及窗口,
# then two columns of the hotline's own that the import ignores (涉及办件编号 is left blank).
ORDERS = [
    ("GD2026113000021", datetime(2026, 11, 30, 9, 12), "投诉", "21140301", "法律援助申请材料要求前后不一",
     "来电人反映：11月24日到公共法律服务分中心申请法律援助，1号窗口告知需提供经济困难证明，补齐后再去，"
     "又被要求提供劳动合同原件，前后跑了三趟，希望一次性告知所需材料。", "孙丽", "13905271234", 1,
     "10个工作日", "2026-11-30 09:40"),
    ("GD2026120100107", datetime(2026, 12, 1, 14, 35), "建议", "龙港区行政服务中心运输管理分中心",
     "建议道路运输证年审可网上办理", "来电人是个体货运司机，反映每年车辆年审都要到运输管理分中心现场排队，"
     "建议开通网上年审或延长周六办理时间。", "钱志强", "13604291188", None, "10个工作日", "2026-12-01 15:02"),
    ("GD2026120200043", datetime(2026, 12, 2, 10, 5), "投诉", "21140303", "食品经营许可超过承诺时限未办结",
     "来电人称11月上旬在市场监管龙湾分中心2号窗口申请食品经营许可，承诺10个工作日办结，至今未取得许可证，"
     "电话询问无人说明原因。", "周海燕", "13700429356", 2, "10个工作日", "2026-12-02 10:31"),
    ("GD2026120200088", datetime(2026, 12, 2, 16, 20), "表扬", "21140306", "表扬救助分中心帮助流浪老人返乡",
     "来电人是外地老人的家属，感谢救助分中心工作人员帮助其父亲联系家人并护送返乡，工作细致耐心。", "吴建华",
     "15804290276", 2, "5个工作日", "2026-12-02 16:45"),
    ("GD2026120300015", datetime(2026, 12, 3, 8, 50), "意见", "龙港区行政服务中心妇幼保健分中心",
     "出生医学证明补办流程繁琐", "来电人反映补办出生医学证明需先到医院开具证明再到分中心办理，两地来回，"
     "希望分中心能直接调取医院的出生记录。", "郑雅婷", "18642915530", None, "10个工作日", "2026-12-03 09:20"),
    ("GD2026120400062", datetime(2026, 12, 4, 11, 30), "举报", "21140304", "反映窗口人员推荐中介代办",
     "来电人称在市场监管北港分中心办理个体工商户登记时，窗口人员暗示找其推荐的中介代办可以当天出照。"
     "来电人要求对其信息保密。", "", "13942905817", None, "10个工作日", "2026-12-04 11:52"),
]


def demo_export() -> bytes:
    """The demo export's bytes."""
    workbook = new_workbook()
    sheet = add_sheet(workbook, "工单表", widths=WIDTHS, freeze=False)
    write_row(sheet, 1, [TITLE_LINE])
    write_row(sheet, 2, HEADERS)
    for number, order in enumerate(ORDERS, start=3):
        write_row(sheet, number, [*order[:9], None, *order[9:]])
        sheet.cell(row=number, column=2).number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A3"
    return workbook_bytes(workbook, fixed=FIXED)


if __name__ == "__main__":
    PATH.write_bytes(demo_export())
    print(PATH)
