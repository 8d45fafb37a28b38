"""The workbook layout: sheets, columns, and the import report."""

from dataclasses import dataclass, field
from datetime import datetime

from ..data import (
    APPROVERS,
    CASE_TYPES,
    FIELD_LABELS,
    LEVELS,
    MATERIAL_FORMS,
    MATERIAL_SOURCES,
    ONLINE_DEPTHS,
    ItemType,
)

SHEET_ITEMS = "事项"
SHEET_MATERIALS = "申请材料"
SHEET_FEES = "收费项目"
SHEET_FAQS = "常见问题"
SHEET_HELP = "填写说明"
FILE = "文件"
SHEET_ORDER = {FILE: 0, SHEET_ITEMS: 1, SHEET_MATERIALS: 2, SHEET_FEES: 3, SHEET_FAQS: 4}

KEY = "序号"
ITEM_KEY = "事项序号"
ITEM_NAME = "事项名称"
CENTER_CODE = "中心编码"
ITEM_CODE = "实施编码"

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000                     # per sheet, rows with content
# An .xlsx is a zip of XML: a small file can unpack to gigabytes or declare a million empty
# rows. These bound what a file may make the server do before (and while) it is read; each is
# several times what a 10,000-item catalogue needs (docs/decisions.md, "Excel import bounds").
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024  # all parts together, as the zip declares them
MAX_SHARED_STRINGS_BYTES = 24 * 1024 * 1024  # openpyxl holds this part in memory
MAX_ZIP_ENTRIES = 200
MAX_SHEET_ROWS = MAX_ROWS + 2_000     # row numbers, empty rows included
MAX_COLUMNS = 100                     # columns read per row (the widest sheet has 30)
MAX_READ_SECONDS = 30.0               # reading all sheets; beyond this the file is refused
FIXED_TIME = datetime(2000, 1, 1)     # workbook created/modified, so exports are byte-stable
ZIP_TIME = (1980, 1, 1, 0, 0, 0)      # the earliest date a zip entry can carry
PROPOSAL_REASON = "通过Excel导入"
APPROVAL_REASON = "营商局通过Excel导入并批准"

YES, NO = "是", "否"
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "支持"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "✗", "不支持"}


# --- layout -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    field: str = ""                   # the ItemData (or Material / Fee / Faq) field; "" for keys
    kind: str = "text"                # text | int | optional_int | bool | choice | decimal | steps | windows | depth
    choices: tuple = ()
    help: str = ""
    width: int = 14
    required: bool = True             # must be present in the header row

    @property
    def label_of(self) -> dict:
        return {str(code): label for code, label in self.choices}


def choice_labels(choices) -> str:
    return "、".join(label for _, label in choices)


def _item_column(name: str, kind: str = "text", help: str = "", width: int = 16, choices: tuple = ()) -> Column:
    return Column(FIELD_LABELS[name], name, kind, tuple(choices), help, width)


ITEM_COLUMNS = [
    Column(KEY, help="本文件内事项的编号（不重复的数字或文字）；「申请材料」「收费项目」「常见问题」表用它指向事项",
           width=6),
    Column(CENTER_CODE, help="事项所属中心的编码；导入时已选择中心的可留空", width=11),
    Column(ITEM_CODE, help="已有事项的实施编码，表示变更该事项；留空表示新增事项，由系统生成实施编码", width=18),
    _item_column("basic_code", help="国家或省级基本目录编码"),
    _item_column("name", help="必填", width=28),
    _item_column("item_type", "choice", f"可填：{choice_labels(ItemType.CHOICES)}；留空为公共服务",
                 choices=ItemType.CHOICES),
    _item_column("legal_basis", help="必填", width=40),
    _item_column("level", "choice", f"可填：{choice_labels(LEVELS)}；留空为县级", choices=LEVELS),
    _item_column("body_name", width=24),
    _item_column("body_credit_code", width=20),
    _item_column("case_type", "choice", f"可填：{choice_labels(CASE_TYPES)}；留空为承诺件", choices=CASE_TYPES),
    _item_column("approver", "choice", f"可填：{choice_labels(APPROVERS)}；留空为分中心负责人", choices=APPROVERS),
    _item_column("statutory_days", "optional_int", "工作日数；留空表示没有以工作日计的法定时限"),
    _item_column("promised_days", "int", "工作日数；即办件填0"),
    _item_column("conditions", width=30),
    _item_column("steps", "steps", "每行一个环节，格式“环节名称：工作日数”，可再加“：说明”，如“受理：0”；"
                                   "环节名称不能含冒号，说明不能换行", width=22),
    _item_column("visits", "int", "整数0–10；留空为1"),
    _item_column("visits_reason", width=24),
    _item_column("online_depth", "depth", "填0–4：" + "；".join(f"{code}={label}" for code, label in ONLINE_DEPTHS)
                 + "；留空为0", choices=ONLINE_DEPTHS),
    _item_column("appointment", "bool", "填“是”或“否”；留空为否", width=10),
    _item_column("online_payment", "bool", "填“是”或“否”；留空为否", width=10),
    _item_column("delivery", "bool", "填“是”或“否”；留空为否", width=10),
    _item_column("place", width=30),
    _item_column("hours", width=30),
    _item_column("consult_phone"),
    _item_column("complaint_phone"),
    _item_column("result_name", width=24),
    _item_column("result_sample", width=24),
    _item_column("windows", "windows", "本中心的窗口号，多个用“、”分隔，如“1、2”", width=10),
    _item_column("keywords", width=20),
]

KEY_HELP = "该行所属事项在「事项」表中的序号"
NAME_HELP = "仅便于阅读，可留空；填写时须与「事项」表中该序号的事项名称一致"
CHILD_SHEETS = {
    "materials": (SHEET_MATERIALS, [
        Column(ITEM_KEY, help=KEY_HELP, width=8),
        Column(ITEM_NAME, help=NAME_HELP, width=24, required=False),
        Column("材料名称", "name", help="必填", width=36),
        Column("来源", "source", "choice", tuple(MATERIAL_SOURCES),
               f"可填：{choice_labels(MATERIAL_SOURCES)}；留空为申请人自备", 12),
        Column("原件份数", "originals", "int", help="整数0–99；留空为1", width=8),
        Column("复印件份数", "copies", "int", help="整数0–99；留空为0", width=8),
        Column("是否必需", "required", "bool", help="填“是”或“否”；留空为是", width=8),
        Column("形式", "form", "choice", tuple(MATERIAL_FORMS),
               f"可填：{choice_labels(MATERIAL_FORMS)}；留空为纸质", 10),
        Column("空白表格", "blank_form", help="空白表格的地址或文件名"),
        Column("示例样表", "sample", help="填写示例的地址或文件名"),
        Column("备注", "note", width=20),
    ]),
    "fees": (SHEET_FEES, [
        Column(ITEM_KEY, help=KEY_HELP, width=8),
        Column(ITEM_NAME, help=NAME_HELP, width=24, required=False),
        Column("收费项目名称", "name", help="必填", width=24),
        Column("金额（元）", "amount", "decimal", help="最多两位小数；金额视情况而定时留空并填写收费标准", width=10),
        Column("收费标准", "standard", width=24),
        Column("收费依据", "legal_basis", help="必填", width=36),
    ]),
    "faqs": (SHEET_FAQS, [
        Column(ITEM_KEY, help=KEY_HELP, width=8),
        Column(ITEM_NAME, help=NAME_HELP, width=24, required=False),
        Column("问题", "question", help="必填", width=36),
        Column("回答", "answer", help="必填，可以换行", width=60),
    ]),
}
ITEM_HEADER_OF = {c.field: c.header for c in ITEM_COLUMNS if c.field}
STEP_LABELS = {"name": "环节名称", "days": "时限", "description": "说明"}


# --- report -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportProblem:
    sheet: str
    row: int | None                  # the row number shown by Excel; None for the whole file or sheet
    column: str
    message: str

    def __str__(self) -> str:
        where = f"「{self.sheet}」" if self.sheet != FILE else "文件"
        if self.row is not None:
            where += f"第{self.row}行"
        if self.column:
            where += f" {self.column}"
        return f"{where}：{self.message}"


@dataclass
class ImportReport:
    total: int = 0                    # item rows read
    created: list[str] = field(default_factory=list)     # codes of proposed new items
    changed: list[str] = field(default_factory=list)     # codes of items with a proposed change
    unchanged: list[str] = field(default_factory=list)   # codes of items equal to their current version
    approved: bool = False            # the proposals were approved at once (the bureau imported)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        if not self.ok:
            return f"导入未执行：发现{len(self.problems)}处问题，没有导入任何事项。请修改后重新导入整个文件。"
        text = (f"导入完成：共{self.total}行，新增事项{len(self.created)}项，变更事项{len(self.changed)}项，"
                f"内容未变化{len(self.unchanged)}项。")
        if self.created or self.changed:
            text += "已直接批准发布。" if self.approved else "变更申请已提交营商局审核。"
        return text

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.problems.append(ImportProblem(sheet, row, column, message))
