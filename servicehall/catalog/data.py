"""The content of one service item as plain data: what a version stores, what the API and
the Excel import carry, and what the quality checks read. One shape everywhere, so a
proposal is checked the same way whichever door it came in by.

Field names follow the national implementation-list elements (实施清单要素).
"""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

# Yuan with at most 10 digits before the point and 2 after (the bill's column), as a number or as text.
AMOUNT_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 9999999999.99},
                           {"type": "string", "maxLength": 13, "pattern": r"^\d{1,10}(\.\d{1,2})?$"}]}


class ItemType:
    """事项类型 codes of the implementation list."""

    CHOICES = [
        ("01", "行政许可"), ("02", "行政处罚"), ("03", "行政强制"), ("04", "行政征收"), ("05", "行政给付"),
        ("06", "行政检查"), ("07", "行政确认"), ("08", "行政奖励"), ("09", "行政裁决"), ("10", "其他行政权力"),
        ("20", "公共服务"),
    ]
    LICENSING = "01"
    LABELS = dict(CHOICES)
    BY_LABEL = {label: code for code, label in CHOICES}


CASE_TYPES = [("instant", "即办件"), ("promised", "承诺件")]
# Who approves a promised item's case (行政许可 practice: the one who accepted it never does):
# the centre's head (the department's chief representative), or another window clerk. A 即办件
# is decided on the spot by the window that accepted it.
APPROVERS = [("head", "分中心负责人（首席代表）"), ("window", "受理人以外的窗口人员")]
LEVELS = [("national", "国家级"), ("provincial", "省级"), ("city", "市级"), ("county", "县级"), ("township", "乡级")]
ONLINE_DEPTHS = [(0, "不能网上办理"), (1, "一级：网上咨询"), (2, "二级：网上预约、下载表格"),
                 (3, "三级：网上申报、预审"), (4, "四级：全程网办")]
FULLY_ONLINE = 4
MATERIAL_SOURCES = [("applicant", "申请人自备"), ("government", "政府部门核发"), ("other", "其他")]
MATERIAL_FORMS = [("paper", "纸质"), ("electronic", "电子"), ("both", "纸质或电子")]
BASIC_STEPS = ["受理", "审核", "审批", "办结", "送达"]


class Material(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    source: str = Field(default="applicant", max_length=20)
    originals: int = Field(default=1, ge=0, le=99)
    copies: int = Field(default=0, ge=0, le=99)
    required: bool = True
    form: str = Field(default="paper", max_length=20)
    blank_form: str = Field(default="", max_length=500)  # address or file name of the blank form
    sample: str = Field(default="", max_length=500)      # address or file name of a filled-in sample
    note: str = Field(default="", max_length=500)


class Fee(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    amount: Annotated[Decimal, WithJsonSchema(AMOUNT_SCHEMA)] | None = Field(default=None, ge=0, max_digits=12,
                                                                             decimal_places=2)
    standard: str = Field(default="", max_length=500)  # when the amount depends on the case, the charging standard
    legal_basis: str = Field(default="", max_length=2000)


class Step(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=50)
    days: int = Field(default=0, ge=0, le=365)
    description: str = Field(default="", max_length=2000)


class Faq(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    question: str = Field(min_length=1, max_length=300)
    answer: str = Field(min_length=1, max_length=2000)


class ItemData(BaseModel):
    """One version of a service item's implementation list."""

    model_config = ConfigDict(str_strip_whitespace=True)

    basic_code: str = Field(default="", max_length=40)
    name: str = Field(min_length=1, max_length=200)
    item_type: str = Field(default="20", max_length=2)
    legal_basis: str = Field(default="", max_length=2000)
    level: str = Field(default="county", max_length=20)
    body_name: str = Field(default="", max_length=200)  # 实施主体
    body_credit_code: str = Field(default="", max_length=18)
    case_type: str = Field(default="promised", max_length=10)
    approver: str = Field(default="head", max_length=20)
    statutory_days: int | None = Field(default=None, ge=0, le=3650)   # None: no working-day statutory limit
    promised_days: int = Field(default=0, ge=0, le=3650)
    conditions: str = Field(default="", max_length=5000)
    steps: list[Step] = Field(default=[], max_length=30)
    materials: list[Material] = Field(default=[], max_length=100)
    fees: list[Fee] = Field(default=[], max_length=50)
    visits: int = Field(default=1, ge=0, le=10)
    visits_reason: str = Field(default="", max_length=500)
    online_depth: int = Field(default=0, ge=0, le=4)
    appointment: bool = False
    online_payment: bool = False
    delivery: bool = False
    place: str = Field(default="", max_length=200)
    hours: str = Field(default="", max_length=200)
    consult_phone: str = Field(default="", max_length=30)
    complaint_phone: str = Field(default="", max_length=30)
    faqs: list[Faq] = Field(default=[], max_length=50)
    result_name: str = Field(default="", max_length=200)
    result_sample: str = Field(default="", max_length=500)
    # The window numbers of the centre that handle it.
    windows: list[Annotated[int, Field(ge=1, le=9999)]] = Field(default=[], max_length=50)
    keywords: str = Field(default="", max_length=500)

    @property
    def is_free(self) -> bool:
        return not self.fees


FIELD_LABELS = {
    "basic_code": "基本编码", "name": "事项名称", "item_type": "事项类型", "legal_basis": "设定依据",
    "level": "行使层级", "body_name": "实施主体", "body_credit_code": "实施主体统一社会信用代码",
    "case_type": "办件类型", "approver": "审批人", "statutory_days": "法定办结时限", "promised_days": "承诺办结时限",
    "conditions": "受理条件", "steps": "办理流程", "materials": "申请材料", "fees": "收费项目",
    "visits": "到现场次数", "visits_reason": "到现场原因", "online_depth": "网上办理深度",
    "appointment": "支持预约", "online_payment": "支持网上支付", "delivery": "支持物流快递",
    "place": "办理地点", "hours": "办理时间", "consult_phone": "咨询电话", "complaint_phone": "监督投诉电话",
    "faqs": "常见问题", "result_name": "审批结果名称", "result_sample": "审批结果样本", "windows": "办理窗口",
    "keywords": "关键词",
}

# The fields of a step, material, fee and FAQ, as the item form and Excel name them.
PART_LABELS = {
    "description": "说明", "source": "来源", "originals": "原件份数", "copies": "复印件份数", "required": "必需",
    "form": "形式", "blank_form": "空白表格", "sample": "示例样表", "note": "备注", "amount": "金额",
    "standard": "收费标准", "legal_basis": "依据", "question": "问题", "answer": "解答",
}
