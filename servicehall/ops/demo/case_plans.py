"""The plan of the demo cases (`cases.py` runs it): which cases each branch centre had over the
last six weeks, what happened to each and when, with real-looking applicants, reasons and
amounts.

The mix is planned backwards from today: most cases are delivered or completed; open ones are
accepted with their due dates placed so that some show green, some yellow and a few red today,
a few are suspended, extended, waiting for materials or for the clerk's decision; refusals and
denials carry real-looking reasons. Applicants have valid citizen IDs (area codes of Huludao),
mobile numbers and credit codes. Deterministic (seeded) for a given day.
"""

import logging
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from servicehall.accounts.models import User
from servicehall.cases.models import ApplicantKind, CaseStatus, Light, light_for
from servicehall.catalog.models import ItemStatus, ServiceItem, VersionFee, VersionMaterial
from servicehall.lib.identity import citizen_id_check_char, credit_code_check_char
from servicehall.org.models import ServiceCenter, Window

from .organisation import BRANCHES

logger = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")
SEED = 20260305
WORKDAYS = 30  # about six weeks of working days, ending today (or the last working day)
FIRST_EVENT_TODAY = time(9, 30)  # before this, today has no demo events yet
SHORT = {code: short for short, code, *_ in BRANCHES}
CENTRE_CASES = {"gf": 44, "ys": 46, "lw": 64, "bg": 40, "fy": 46, "jz": 30, "xf": 36, "da": 44}
DEFAULT_CENTRE_CASES = 30
ITEM_WEIGHTS = {"公证法律援助申请": 3, "信访事项复查": 0.5, "信访事项复核": 0.4, "收养登记档案查询": 0.5,
                "不予法律援助决定异议审查": 0.5, "母婴保健技术服务机构执业许可": 0.5}

# --- applicants -------------------------------------------------------------------------------

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤")
MALE = ["建国", "志刚", "海涛", "晓峰", "国强", "立军", "振华", "宏伟", "子轩", "浩然", "宇航", "俊杰", "明轩", "文斌",
        "玉龙", "春雷", "德胜", "永刚", "鹏飞", "树林", "长江", "家豪", "一鸣", "天宇", "博文", "锦程", "海波", "凤山",
        "连成", "庆丰", "伟", "强", "磊", "军", "勇", "斌", "超", "鹏", "杰", "刚"]
FEMALE = ["秀兰", "桂英", "淑珍", "丽娟", "海燕", "晓红", "春梅", "玉霞", "雪莲", "思彤", "欣怡", "雨桐", "梓涵",
          "佳琪", "美玲", "凤霞", "慧敏", "婷婷", "晓雯", "丽华", "艳秋", "翠萍", "静怡", "诗涵", "玉洁", "红梅",
          "秀云", "亚楠", "冬梅", "金凤", "丽", "静", "敏", "艳", "娟", "芳", "霞", "燕", "红", "琳"]
# Huludao: 龙港区 (most), 连山区, 南票区, 兴城市, 绥中县, 建昌县.
AREAS = ["211403"] * 8 + ["211402", "211404", "211481", "211421", "211422"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
                   "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "186", "187", "188", "189",
                   "198", "199"]
ORGS = {
    "transport": ["葫芦岛市龙港区顺达物流有限公司", "葫芦岛鑫源货物运输有限公司", "葫芦岛市海辰客运有限责任公司",
                  "葫芦岛市龙港区安捷出租汽车有限公司", "葫芦岛渤海湾旅游客运有限公司", "葫芦岛市通达冷链物流有限公司"],
    "market": ["葫芦岛市龙港区海味鲜食品有限公司", "葫芦岛龙港老街坊餐饮管理有限公司", "葫芦岛市北港热力有限公司",
               "葫芦岛市龙湾兴盛物业服务有限公司", "葫芦岛市连湾建材有限公司", "葫芦岛龙港区惠民超市有限公司"],
    "health": ["葫芦岛市龙港区康宁妇产医院有限公司", "葫芦岛龙港区仁和门诊部有限公司",
               "葫芦岛市龙港区安贞妇幼门诊有限公司"],
}
# Item name keyword → (share of organisations among applicants, which organisations).
ORG_ITEMS = [("道路旅客运输", 1.0, "transport"), ("道路普通货物运输", 0.7, "transport"),
             ("道路运输证", 0.6, "transport"), ("巡游出租汽车", 1.0, "transport"), ("特种设备", 0.9, "market"),
             ("食品经营许可", 0.4, "market"), ("仅销售预包装食品", 0.5, "market"),
             ("母婴保健技术服务机构", 1.0, "health")]

# --- reasons ----------------------------------------------------------------------------------

FAULTS = ["复印件字迹不清，请提交清晰的复印件", "申请表未由申请人本人签字，请签字后提交",
          "证件已超过有效期，请提交有效期内的证件", "复印件未加盖单位公章，请加盖公章后提交",
          "材料所载姓名与身份证件不一致，请提交一致的材料或相关证明", "材料缺页（缺第2页），请提交完整材料"]
REFUSE_UNSUPPLIED = [
    "申请人经一次性告知后明确表示无法提供“{material}”，申请材料不符合法定形式，依法不予受理。",
    "出具一次性告知书后申请人未补正材料，经电话联系，申请人表示不再申请，依法不予受理。",
]
REFUSE_INELIGIBLE = {
    "gf": "经审查，申请事项不属于《中华人民共和国法律援助法》第三十一条规定的法律援助事项范围，不予受理，"
          "已告知申请人可通过诉讼等途径维护权益。",
    "ys": "申请人住所地不在本区，依据《中华人民共和国道路运输条例》应向住所地县级道路运输管理机构提出申请，不予受理。",
    "lw": "申请人经营场所不在本分中心管辖范围内，依法不予受理，已告知申请人向经营场所所在地市场监管所申请。",
    "bg": "申请人经营场所不在本分中心管辖范围内，依法不予受理，已告知申请人向经营场所所在地市场监管所申请。",
    "fy": "新生儿出生地不在本院，应由出生地医疗保健机构办理，不予受理，已告知申请人向出生医院申请。",
    "jz": "经核查，申请人户籍地和经常居住地均不在本区，不予受理，已告知申请人向户籍所在地乡镇（街道）申请。",
    "xf": "反映事项已经或者依法应当通过诉讼、仲裁、行政复议等法定途径解决，依据《信访工作条例》第三十一条不予受理，"
          "已书面告知信访人。",
    "da": "申请查阅的档案不属于本馆馆藏范围，不予受理，已告知申请人向档案形成单位查询。",
}
REFUSE_DEFAULT = "申请事项依法不属于本机关职权范围，不予受理，已告知申请人向有关行政机关申请。"
DENY_REASONS = [  # item name keyword → the decision's reason; items without one are not denied in the demo
    ("法律援助申请受理", ("经审查，申请人家庭人均月收入高于本市法律援助经济困难标准，且不属于免予经济困难审查的情形，"
                          "依据《中华人民共和国法律援助法》第四十一条，决定不予法律援助。")),
    ("异议审查", "经审查，原不予法律援助决定认定事实清楚、适用依据正确，异议理由不能成立，维持原决定。"),
    ("人民调解", ("纠纷一方当事人明确拒绝调解，依据《中华人民共和国人民调解法》第十七条不予调解，"
                  "已告知当事人可依法申请仲裁或提起诉讼。")),
    ("道路旅客运输", ("经现场核查，申请人拟投入车辆中有2辆技术等级未达到一级，"
                      "不符合《道路旅客运输及客运站管理规定》规定的条件，不予许可。")),
    ("道路普通货物运输", ("经核查，申请人拟聘驾驶人员中1人未取得道路货物运输从业资格证，"
                          "不符合《道路货物运输及站场管理规定》规定的条件，不予许可。")),
    ("巡游出租汽车", ("经核查，申请人不具备与经营规模相适应的停车场地，"
                      "不符合《巡游出租汽车经营服务管理规定》规定的条件，不予许可。")),
    ("从业资格", "经核查，申请人3年内有重大以上交通责任事故记录，不符合从业资格条件，不予办理。"),
    ("食品经营许可", ("经现场核查，经营场所距离公共厕所不足25米，不符合《食品经营许可和备案管理办法》规定的场所条件，"
                      "不予许可。")),
    ("小作坊", "经现场核查，生产加工场所未设置与生产品种相适应的防尘、防蝇设施，不符合小作坊生产许可条件，不予许可。"),
    ("特种设备", "经核查，申请登记的压力容器未经监督检验合格，依据《特种设备使用登记规则》不予登记。"),
    ("个体工商户设立", "申请登记的经营范围含依法须经批准的项目，申请人未取得相关批准文件，不予登记。"),
    ("出生医学证明", "经核查，申请人提供的分娩信息与本院住院分娩记录不一致，无法确认出生信息，不予签发。"),
    ("母婴保健技术服务机构", ("经现场评审，申请机构产科专业技术人员配备不足，"
                              "不符合《中华人民共和国母婴保健法实施办法》规定的条件，不予许可。")),
    ("母婴保健服务人员", "经考核，申请人未通过母婴保健专项技术考核，不予认定。"),
    ("临时救助", "经入户调查和家庭经济状况核对，申请人家庭人均收入及财产超过本区临时救助认定标准，不予救助。"),
    ("复查", "经复查，原处理意见认定事实清楚、依据正确、程序合法，复查请求不予支持，维持原处理意见。"),
    ("复核", "经复核，复查意见认定事实清楚、适用政策正确，复核请求不予支持。"),
    ("来访接待", "经调查核实，信访人反映的问题缺乏事实依据，诉求不予支持，已书面答复信访人。"),
    ("未开放档案", ("申请查阅的档案涉及他人隐私，申请人不能提供当事人授权或利害关系证明，"
                    "依据《中华人民共和国档案法》不予提供。")),
]
SUSPEND_REASONS = {
    "gf": "需向申请人户籍地核实其经济困难状况，核实期间不计入办理时限，已书面告知申请人。",
    "ys": "需对申请人的停车场地和车辆技术状况进行现场核查，核查期间不计入办理时限，已书面告知申请人。",
    "lw": "需委托检验机构对申请人的生产设备和产品进行检验检测，"
          "检验期间不计入办理时限（《中华人民共和国行政许可法》第四十五条），已书面告知申请人。",
    "bg": "需委托检验机构对申请人的生产设备和产品进行检验检测，"
          "检验期间不计入办理时限（《中华人民共和国行政许可法》第四十五条），已书面告知申请人。",
    "fy": "需组织专家对申请机构进行现场评审，专家评审时间不计入办理时限（《中华人民共和国行政许可法》第四十五条），"
          "已书面告知申请人。",
    "jz": "需入户调查并核对申请人家庭经济状况，核对期间不计入办理时限，已告知申请人。",
    "xf": "需调取原办理机关案卷材料并听取有关方面意见，调查期间不计入办理时限，已书面告知信访人。",
    "da": "申请查阅的档案需经形成单位进行开放审核，审核期间不计入办理时限，已书面告知申请人。",
}
SUSPEND_DEFAULT = ("申请人依法申请举行听证，听证所需时间不计入办理时限（《中华人民共和国行政许可法》第四十五条），"
                   "已书面告知申请人。")
EXTEND_REASONS = [("案情复杂，需进一步调查核实，在承诺时限内不能作出决定，"
                   "经中心负责人批准延长{days}个工作日，已将延长理由告知申请人。"),
                  "需征求相关部门意见，在承诺时限内不能作出决定，经中心负责人批准延长{days}个工作日，已将延长理由告知申请人。"]
EXTEND_JOINT = "一条龙联办涉及多个事项并联审查，经中心负责人批准延长{days}个工作日，已将延长理由告知申请人。"
SECOND_NOTICE = ("申请人补正的“{material}”经核验与其他申请材料信息不一致，属首次告知时无法发现的新问题，"
                 "经区营商局审核同意再次告知。")
SECOND_FAULT = "补正的材料与其他申请材料信息不一致，请提交信息一致的材料"
APPROVE_LICENSING = "经审查，申请人符合法定条件、标准，准予许可。"
REVIEW_OPINION = "经审核，申请材料齐全，符合法定形式和条件，同意提交决定。"
WAIVE_REASONS = ["受援人为城乡最低生活保障对象，依据法律援助有关规定免收公证费。",
                 "受援人为特困供养人员，经审核免收公证费。"]
FEE_AMOUNTS = [Decimal("60.00"), Decimal("80.00"), Decimal("100.00"), Decimal("120.00"), Decimal("150.00")]

# --- what to make -----------------------------------------------------------------------------

JOINT = {  # centre → the two items of a 一条龙 case there
    "gf": ("法律援助申请受理审查", "公证法律援助申请(转介公证机构)"),
    "ys": ("道路普通货物运输经营许可", "《道路运输证》核发"),
    "lw": ("个体工商户设立登记", "食品经营许可(新办)"),
    "bg": ("个体工商户设立登记", "食品经营许可(新办)"),
}


@dataclass(frozen=True)
class Token:
    """One case to make: its status today and any feature it must show."""
    status: str
    light: str = ""        # accepted cases: the light today
    bill: str = ""         # "paid", "waived" or "unpaid": an item with a fee
    joint: str = ""        # centre short name of a JOINT pair
    extend: int = 0        # working days of the one extension
    resumed: bool = False  # suspended once and resumed
    deemed: bool = False   # no decision within 5 working days of receipt: accepted by the background loop
    second_notice: bool = False


def tokens(total: int) -> list[Token]:
    S = CaseStatus
    special = [
        Token(S.ACCEPTED, Light.YELLOW, bill="unpaid", joint="gf", extend=10),
        Token(S.DELIVERED, joint="ys"), Token(S.DELIVERED, joint="lw"), Token(S.COMPLETED, joint="bg"),
        Token(S.ACCEPTED, Light.GREEN, extend=10), Token(S.ACCEPTED, Light.RED, extend=5),
        Token(S.ACCEPTED, Light.GREEN, resumed=True), Token(S.ACCEPTED, Light.YELLOW, resumed=True),
        Token(S.ACCEPTED, deemed=True), Token(S.DELIVERED, deemed=True),
        Token(S.AWAITING_MATERIALS, second_notice=True), Token(S.AWAITING_MATERIALS, second_notice=True),
        Token(S.DELIVERED, second_notice=True),
        Token(S.DELIVERED, bill="paid"), Token(S.DELIVERED, bill="paid"), Token(S.DELIVERED, bill="paid"),
        Token(S.DELIVERED, bill="waived"), Token(S.DELIVERED, bill="waived"), Token(S.COMPLETED, bill="paid"),
        Token(S.ACCEPTED, Light.GREEN, bill="unpaid"), Token(S.APPROVED, bill="unpaid"),
    ]
    plain = ([Token(S.ACCEPTED, Light.GREEN)] * 20 + [Token(S.ACCEPTED, Light.YELLOW)] * 12
             + [Token(S.ACCEPTED, Light.RED)] * 7 + [Token(S.SUSPENDED)] * 9 + [Token(S.APPROVED)] * 8
             + [Token(S.DENIED)] * 6 + [Token(S.RECEIVED)] * 8 + [Token(S.AWAITING_MATERIALS)] * 18
             + [Token(S.REFUSED)] * 16 + [Token(S.COMPLETED)] * 36)
    tokens = special + plain
    return tokens + [Token(S.DELIVERED)] * max(0, total - len(tokens))


# --- the plan ---------------------------------------------------------------------------------

@dataclass
class Item:
    code: str
    name: str
    promised: int
    instant: bool
    licensing: bool
    materials: list[VersionMaterial]
    fees: list[VersionFee]
    weight: float


@dataclass
class Centre:
    center: ServiceCenter
    short: str
    clerks: list[tuple[User, Window]]
    manager: User
    items: list[Item]
    quota: float


@dataclass
class Plan:
    centre: Centre
    items: list[Item]
    clerk: User
    window: Window
    applicant: dict = field(default_factory=dict)
    events: list = field(default_factory=list)  # (position, action, kwargs)
    fees: dict = field(default_factory=dict)
    deemed_at: int | None = None  # position of the morning the background loop accepts it

    @property
    def promised(self) -> int:
        return max(i.promised for i in self.items)

    @property
    def instant(self) -> bool:
        return all(i.instant for i in self.items)

    @property
    def has_fee(self) -> bool:
        return any(i.fees for i in self.items)

    @property
    def materials(self) -> list[VersionMaterial]:
        return [m for i in self.items for m in i.materials]


def _deny_reason(items: list[Item]) -> str | None:
    for keyword, reason in DENY_REASONS:
        if keyword in items[0].name:
            return reason
    return None


class Planner:
    def __init__(self, rng: random.Random, last: int, today: int, per_day: float):
        self.rng = rng
        self.last = last    # position of the last working day with events
        self.today = today  # position of today in working days (last or last + 1)
        self.per_day = per_day
        self.receipts: Counter[int] = Counter()  # planned receipts per position
        self.notice_days = settings.SH_CASE_NOTICE_DAYS

    # -- pieces ----------------------------------------------------------------------------

    def _submit(self, plan: Plan, complete: bool) -> tuple[dict, list[VersionMaterial]]:
        """What the applicant brings first: all required materials, or some missing or faulty."""
        rng, materials = self.rng, plan.materials
        required = [m for m in materials if m.required]
        missing, faulty = [], []
        if not complete:
            if required and (rng.random() < 0.7 or len(materials) == 1):
                missing = rng.sample(required, min(len(required), rng.choice([1, 1, 1, 2])))
            rest = [m for m in materials if m not in missing]
            if rest and (not missing or rng.random() < 0.3):
                faulty = [rng.choice(rest)]
        dropped = {m.pk for m in materials if not m.required and rng.random() < 0.4}
        received = [m.pk for m in materials if m not in missing and m not in faulty and m.pk not in dropped]
        args = {"materials": received,
                "faulty": [{"material": m.pk, "problem": rng.choice(FAULTS)} for m in faulty]}
        return args, missing + faulty

    def _gap(self, accept_at: int) -> int | None:
        """Working days from receipt to acceptance: None (materials complete at once) or the
        days the applicant took to bring what the notice asked for."""
        if self.rng.random() >= 0.3:
            return None
        return min(self.rng.choice([0, 1, 1, 2, 3]), accept_at)

    def _front(self, plan: Plan, accept_at: int, gap: int | None, *, second_notice: bool = False) -> None:
        """Receipt up to acceptance on `accept_at`: at once with complete materials (`gap`
        None), else a notice `gap` working days before and the supplement on `accept_at`
        (with `second_notice`, a first supplement in between shows a new fault)."""
        if gap is None:
            args, _ = self._submit(plan, complete=True)
            plan.events.append((accept_at, "submit", args | {"fees": plan.fees}))
            return
        if second_notice:
            first = self.rng.randint(1, gap - 1)
            self._notice_cycle(plan, accept_at - gap, accept_at - gap + first, second_notice=True)
            plan.events.append((accept_at, "supplement", {"materials": [plan.events[-1][2]["material"]], "faulty": []}))
        else:
            args, lacking = self._submit(plan, complete=False)
            plan.events.append((accept_at - gap, "submit", args))
            plan.events.append((accept_at, "supplement", {"materials": [m.pk for m in lacking], "faulty": []}))
        plan.events.append((accept_at, "accept", {"fees": plan.fees}))

    def _notice_cycle(self, plan: Plan, p0: int, p1: int, *, second_notice: bool) -> None:
        """Receipt with a notice on p0, supplement on p1 (leaving the case received); with
        `second_notice` the supplement shows a new fault and the bureau allows a second notice."""
        args, lacking = self._submit(plan, complete=False)
        plan.events.append((p0, "submit", args))
        faulty = []
        if second_notice:
            shown = self.rng.choice(lacking)
            faulty = [{"material": shown.pk, "problem": SECOND_FAULT}]
            lacking = [m for m in lacking if m is not shown]
        plan.events.append((p1, "supplement", {"materials": [m.pk for m in lacking], "faulty": faulty}))
        if second_notice:
            plan.events.append((p1, "notify_again", {"reason": SECOND_NOTICE.format(material=shown.name),
                                                     "material": shown.pk}))

    def _decision_days(self, plan: Plan) -> int:
        promised = plan.promised
        if plan.instant:
            return 0
        if self.rng.random() < 0.05:  # a few are decided late (supervision has something to find)
            return promised + self.rng.randint(1, 2)
        return self.rng.randint(max(1, math.ceil(promised * 0.3)), max(1, promised))

    def _settle(self, plan: Plan, at: int, how: str) -> None:
        if not plan.has_fee:
            return
        if how == "waived":
            plan.events.append((at, "waive", {"reason": self.rng.choice(WAIVE_REASONS)}))
        elif how == "paid":
            plan.events.append((at, "pay", {}))

    def _bill_choice(self, token: Token, paid_share: float) -> str:
        if token.bill:
            return token.bill
        roll = self.rng.random()
        return "paid" if roll < paid_share else "waived" if roll < paid_share + 0.25 else "unpaid"

    # -- scenarios -------------------------------------------------------------------------

    def plan(self, plan: Plan, token: Token) -> bool:
        if self._plan(plan, token):
            self.receipts[min(e[0] for e in plan.events)] += 1
            return True
        plan.events.clear()
        return False

    def _plan(self, plan: Plan, token: Token) -> bool:
        if plan.has_fee:
            plan.fees = {f.pk: self.rng.choice(FEE_AMOUNTS) for i in plan.items for f in i.fees if f.amount is None}
        S = CaseStatus
        if token.status in (S.DELIVERED, S.COMPLETED, S.APPROVED, S.DENIED):
            return self._decided(plan, token)
        if token.status == S.ACCEPTED and token.deemed:
            return self._deemed_open(plan)
        if token.status == S.ACCEPTED:
            return self._open(plan, token)
        if token.status == S.SUSPENDED:
            return self._suspended(plan)
        if token.status == S.RECEIVED:
            ps = self.rng.randint(max(0, self.today - 3), self.last)
            p0 = self.rng.randint(max(0, ps - 5), ps)
            self._notice_cycle(plan, p0, ps, second_notice=False)
            return True
        if token.status == S.AWAITING_MATERIALS:
            return self._awaiting(plan, token)
        if token.status == S.REFUSED:
            return self._refused(plan)
        return False

    def _decided(self, plan: Plan, token: Token) -> bool:
        """Delivered, completed, or decided and waiting for completion (approved/denied)."""
        rng, S = self.rng, CaseStatus
        if token.deemed and (plan.has_fee or plan.instant):  # a fee by a standard needs a clerk's amount
            return False
        deny_reason = _deny_reason(plan.items) if not plan.has_fee else None
        if token.status == S.DENIED:
            if deny_reason is None or plan.instant:
                return False
            deny = True
        elif token.status == S.APPROVED:
            if plan.instant:
                return False
            deny = False
        else:
            deny = deny_reason is not None and rng.random() < (0.03 if plan.instant else 0.1)
        d = self._decision_days(plan)
        if token.deemed:
            d = max(d, self.notice_days + 1 + rng.randint(0, 2))
        suspend = 0
        if not plan.instant and not token.deemed and plan.promised >= 3 and d >= 2 and rng.random() < 0.08:
            suspend = rng.randint(2, 5)
        complete = 0 if plan.instant else rng.choice([0, 0, 1, 2])
        deliver = rng.choice([0, 0, 0, 1]) if plan.instant else rng.choice([0, 1, 1, 2, 3])
        # Working days from receipt to acceptance (None: materials complete at once).
        gap = None
        if token.second_notice:
            gap = rng.randint(2, 5)
        elif token.deemed:
            gap = rng.randint(0, 2)
        elif rng.random() < 0.3:
            gap = rng.choice([0, 1, 1, 2, 3])
        pre = gap or 0
        # Anchor in time.
        if token.status == S.DELIVERED:
            tail = complete + deliver
            room = self.last - pre - tail
            d = min(d, room - suspend)
            if d < (1 if not plan.instant else 0) or (token.deemed and d <= self.notice_days):
                return False
            span = pre + suspend + d + tail
            # Delivered cases come last and fill the days the open ones left quiet.
            days = range(self.last - span + 1)
            p0 = rng.choices(days, weights=[max(0.3, self.per_day - self.receipts[p]) for p in days])[0]
        elif token.status == S.COMPLETED:
            pc = rng.randint(max(0, self.last - 7), self.last)
            d = min(d, pc - pre - complete - suspend)
            if d < (1 if not plan.instant else 0) or (token.deemed and d <= self.notice_days):
                return False
            p0 = pc - complete - d - suspend - pre
        else:
            pd = rng.randint(max(0, self.last - 3), self.last)
            d = min(d, pd - pre - suspend)
            if d < 1:
                return False
            p0 = pd - d - suspend - pre
        if d < 2:
            suspend = 0
        pa = p0 + pre
        if token.deemed:
            self._notice_cycle(plan, p0, pa, second_notice=False)
            plan.deemed_at = pa + self.notice_days + 1
        else:
            self._front(plan, pa, gap, second_notice=token.second_notice)
        bill = self._bill_choice(token, 0.6) if token.status != S.APPROVED else self._bill_choice(token, 0.5)
        if bill == "unpaid" and token.status in (S.DELIVERED, S.COMPLETED):
            bill = "paid"
        if bill == "waived" and rng.random() < 0.5 and not token.deemed:
            self._settle(plan, pa, bill)
            bill = "done"
        if suspend:
            ps = pa + rng.randint(1, d - 1)
            plan.events += [(ps, "suspend", {"reason": SUSPEND_REASONS.get(plan.centre.short, SUSPEND_DEFAULT)}),
                            (ps + suspend, "resume", {})]
        pd = pa + d + suspend
        if token.deemed:
            pd = max(pd, plan.deemed_at)
        if deny:
            plan.events.append((pd, "deny", {"reason": deny_reason}))
        elif not plan.instant:
            plan.events += [(pd, "review", {"reason": REVIEW_OPINION}),
                            (pd, "approve", {"reason": APPROVE_LICENSING if plan.items[0].licensing else ""})]
        if token.status in (S.APPROVED, S.DENIED):
            if token.status == S.APPROVED:
                self._settle(plan, pd, bill)
            return True
        pc = pd + complete
        if bill != "done":
            self._settle(plan, pc, bill)
        plan.events.append((pc, "complete", {}))
        if token.status == S.DELIVERED:
            plan.events.append((pc + deliver, "deliver", {}))
        return True

    def _open(self, plan: Plan, token: Token) -> bool:
        """Accepted and running, with the light `token.light` today."""
        rng, promised = self.rng, plan.promised
        if plan.instant:
            return False
        extend, suspend = token.extend, (3 if token.resumed else 0)
        if token.resumed and promised < 3:
            return False
        options = []
        for remaining in range(-4, promised + 1):
            if light_for(remaining, promised) != token.light:
                continue
            pa = self.today + remaining - promised - extend - suspend
            if pa < 0 or pa + (suspend + 1 if suspend else 0) + (1 if extend else 0) > self.last:
                continue
            options.append(pa)
        if not options:
            return False
        pa = rng.choice(options)
        self._front(plan, pa, self._gap(pa))
        self._settle(plan, pa, self._bill_choice(token, 0.3))
        after = pa + 1
        if suspend:
            ps = rng.randint(pa + 1, min(pa + promised, self.last - suspend))
            plan.events += [(ps, "suspend", {"reason": SUSPEND_REASONS.get(plan.centre.short, SUSPEND_DEFAULT)}),
                            (ps + suspend, "resume", {})]
            after = ps + suspend
        if extend:
            pe = rng.randint(after, min(self.last, pa + promised + suspend))
            reason = EXTEND_JOINT if len(plan.items) > 1 else rng.choice(EXTEND_REASONS)
            plan.events.append((pe, "extend", {"days": extend, "reason": reason.format(days=extend)}))
        return True

    def _deemed_open(self, plan: Plan) -> bool:
        if plan.instant or plan.promised < 5 or plan.has_fee:
            return False
        ps = self.last - self.notice_days - 1 - self.rng.randint(0, 2)
        if ps < 2:
            return False
        self._notice_cycle(plan, ps - self.rng.randint(1, 2), ps, second_notice=False)
        plan.deemed_at = ps + self.notice_days + 1
        return True

    def _suspended(self, plan: Plan) -> bool:
        rng, promised = self.rng, plan.promised
        if plan.instant or promised < 3:
            return False
        ps = rng.randint(max(1, self.last - 8), self.last)
        pa = rng.randint(max(0, ps - promised), ps - 1)
        self._front(plan, pa, self._gap(pa))
        self._settle(plan, pa, self._bill_choice(Token(CaseStatus.SUSPENDED), 0.3))
        plan.events.append((ps, "suspend", {"reason": SUSPEND_REASONS.get(plan.centre.short, SUSPEND_DEFAULT)}))
        return True

    def _awaiting(self, plan: Plan, token: Token) -> bool:
        rng = self.rng
        if token.second_notice:
            p1 = rng.randint(max(1, self.last - 6), self.last)
            self._notice_cycle(plan, max(0, p1 - rng.randint(1, 3)), p1, second_notice=True)
            return True
        if rng.random() < 0.7:
            p0 = rng.randint(max(0, self.last - 8), self.last)
        else:
            p0 = rng.randint(0, max(0, self.last - 9))
        args, _ = self._submit(plan, complete=False)
        plan.events.append((p0, "submit", args))
        return True

    def _refused(self, plan: Plan) -> bool:
        rng = self.rng
        p0 = rng.randint(0, self.last - 1)
        if rng.random() < 0.5:
            args, lacking = self._submit(plan, complete=False)
            plan.events.append((p0, "submit", args))
            at = min(self.last, p0 + rng.choice([1, 2, 3, 5]))
            reason = rng.choice(REFUSE_UNSUPPLIED).format(material=lacking[0].name if lacking else "申请材料")
            if not lacking:
                reason = REFUSE_UNSUPPLIED[1]
            plan.events.append((at, "refuse", {"reason": reason}))
        else:
            p1 = min(self.last, p0 + rng.choice([0, 1, 2]))
            self._notice_cycle(plan, p0, p1, second_notice=False)
            plan.events.append((p1, "refuse", {"reason": REFUSE_INELIGIBLE.get(plan.centre.short, REFUSE_DEFAULT)}))
        return True


# --- people -----------------------------------------------------------------------------------

class People:
    def __init__(self, rng: random.Random, today: date):
        self.rng, self.today = rng, today
        self.orgs = {name: self._credit_code() for pool in ORGS.values() for name in pool}

    def _credit_code(self) -> str:
        body = "91211403MA" + "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7))
        return body + credit_code_check_char(body)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99999999):08d}"

    def person(self) -> dict:
        rng = self.rng
        male = rng.random() < 0.5
        name = rng.choice(SURNAMES) + rng.choice(MALE if male else FEMALE)
        born = self.today - timedelta(days=rng.randint(20 * 365, 72 * 365))
        serial = f"{rng.randint(0, 99):02d}{rng.choice('13579' if male else '02468')}"
        first17 = f"{rng.choice(AREAS)}{born:%Y%m%d}{serial}"
        return {"kind": ApplicantKind.PERSON, "name": name, "id_number": first17 + citizen_id_check_char(first17),
                "phone": self.mobile()}

    def for_items(self, items: list[Item]) -> dict:
        for keyword, share, pool in ORG_ITEMS:
            if keyword in items[0].name and self.rng.random() < share:
                name = self.rng.choice(ORGS[pool])
                return {"kind": ApplicantKind.ORG, "name": name, "credit_code": self.orgs[name], "phone": self.mobile()}
        return self.person()


# --- loading ----------------------------------------------------------------------------------

def demo_centres(district) -> list[Centre]:
    items = (ServiceItem.objects
             .filter(center__district=district, status=ItemStatus.ACTIVE, current_version__isnull=False)
             .select_related("center", "current_version").order_by("center__code", "code"))
    versions = [i.current_version_id for i in items]
    materials, fees = {}, {}
    for m in VersionMaterial.objects.filter(version__in=versions).order_by("version_id", "position"):
        materials.setdefault(m.version_id, []).append(m)
    for f in VersionFee.objects.filter(version__in=versions).order_by("version_id", "position"):
        fees.setdefault(f.version_id, []).append(f)
    by_center: dict[int, list] = {}
    for item in items:
        v = item.current_version
        weight = next((w for key, w in ITEM_WEIGHTS.items() if key in v.name), 1)
        by_center.setdefault(item.center_id, []).append(Item(
            code=item.code, name=v.name, promised=v.promised_days, instant=v.case_type == "instant",
            licensing=v.item_type == "01", materials=materials.get(v.pk, []), fees=fees.get(v.pk, []), weight=weight))
    centres = []
    for center in ServiceCenter.objects.filter(pk__in=by_center).order_by("code"):
        short = SHORT.get(center.code)
        users = {u.username: u for u in User.objects.filter(username__startswith=f"{short}_")} if short else {}
        clerks = [(users[f"{short}_staff{n}"], Window.objects.get(center=center, number=n))
                  for n in (1, 2) if f"{short}_staff{n}" in users]
        manager = users.get(f"{short}_manager")
        if not clerks or manager is None:
            continue
        centres.append(Centre(center=center, short=short, clerks=clerks, manager=manager, items=by_center[center.pk],
                              quota=CENTRE_CASES.get(short, DEFAULT_CENTRE_CASES)))
    return centres


def _candidates(centre: Centre, token: Token) -> list[list[Item]]:
    if token.joint:
        if token.joint != centre.short:
            return []
        named = {i.name: i for i in centre.items}
        pair = [named.get(n) for n in JOINT[token.joint]]
        return [pair] if all(pair) else []
    S = CaseStatus
    items = [i for i in centre.items if i.fees or not token.bill]
    if token.status in (S.ACCEPTED, S.SUSPENDED, S.APPROVED, S.DENIED):  # decided on the spot otherwise
        items = [i for i in items if not i.instant]
    if token.light == Light.GREEN or token.status == S.SUSPENDED or token.resumed:
        items = [i for i in items if i.promised >= 3]
    if token.status == S.DENIED:
        items = [i for i in items if not i.fees and _deny_reason([i])]
    if token.status == S.RECEIVED:  # left waiting, the background loop would accept it without the fee's amount
        items = [i for i in items if not i.fees]
    return [[i] for i in items]


def assign_plans(rng: random.Random, planner: Planner, people: People, centres: list[Centre],
            tokens: list[Token]) -> list[Plan]:
    plans = []
    for token in tokens:
        for _ in range(12):  # a token some item cannot show is tried elsewhere
            choices = [c for c in centres if _candidates(c, token)]
            if not choices:
                break
            centre = rng.choices(choices, weights=[max(c.quota, 0.5) for c in choices])[0]
            options = _candidates(centre, token)
            items = rng.choices(options, weights=[o[0].weight for o in options])[0]
            clerk, window = rng.choice(centre.clerks)
            plan = Plan(centre=centre, items=items, clerk=clerk, window=window)
            if planner.plan(plan, token):
                plan.applicant = people.for_items(items)
                centre.quota -= 1
                plans.append(plan)
                break
    return plans


def moments(rng: random.Random, day: date, count: int, now: datetime) -> list[datetime]:
    """`count` increasing times of one visit (or a day's work on a case) at office hours."""
    minutes = [m for m in range(8 * 60 + 30, 17 * 60) if not 12 * 60 <= m < 13 * 60 + 30]
    local = timezone.localtime(now, BEIJING)
    if day == local.date():
        minutes = [m for m in minutes if m < local.hour * 60 + local.minute - 1]
    start = rng.randrange(max(1, len(minutes) - count * 15))
    picks = [start]
    for _ in range(count - 1):
        picks.append(picks[-1] + rng.randint(2, 15))
    if picks[-1] >= len(minutes):
        picks = sorted(rng.sample(range(len(minutes)), count))
    return [datetime.combine(day, time(minutes[i] // 60, minutes[i] % 60, rng.randint(0, 59)), tzinfo=BEIJING)
            for i in picks]


