"""The Longgang demo's organisation: district 211403, its centre and the notice's branch
centres, departments, windows, staff with AB posts, and the demo accounts.

Deterministic and idempotent: running it twice changes nothing. It is the only code that
creates the demo accounts; their password comes from SH_DEMO_PASSWORD (default below).
"""

import os
from dataclasses import dataclass

from servicehall.accounts.models import Role, User
from servicehall.accounts.services import account_create
from servicehall.lib.identity import credit_code_check_char
from servicehall.org.models import (
    BackupPost,
    CenterKind,
    Department,
    District,
    Membership,
    ServiceCenter,
    Staff,
    Window,
    WindowKind,
)

DEMO_PASSWORD_DEFAULT = "Longgang@2026"
DISTRICT = ("211403", "龙港区")
MAIN_CENTER_CODE = "21140300"

# (short, code, name part, department, address, windows: list of (kind, name))
BRANCHES = [
    ("gf", "21140301", "公共法律服务", "区司法局", "龙港区龙湾大街98号",
     [(WindowKind.ACCEPTANCE, "法律援助受理"), (WindowKind.ACCEPTANCE, "公证与人民调解"),
      (WindowKind.COMPLAINT, "投诉"), (WindowKind.INQUIRY, "综合资讯台")]),
    ("ys", "21140302", "运输管理", "区交通局", "龙港区海辰路36号",
     [(WindowKind.ACCEPTANCE, "道路运输经营许可"), (WindowKind.ACCEPTANCE, "从业资格与车辆年审"),
      (WindowKind.CASHIER, "收费"), (WindowKind.COMPLAINT, "投诉"), (WindowKind.INQUIRY, "综合资讯台")]),
    ("lw", "21140303", "市场监管龙湾", "区市场监管局", "龙港区龙湾大街210号",
     [(WindowKind.ACCEPTANCE, "企业登记"), (WindowKind.ACCEPTANCE, "食品经营许可"),
      (WindowKind.ACCEPTANCE, "个体工商户登记"), (WindowKind.COMPLAINT, "投诉举报"),
      (WindowKind.INQUIRY, "综合资讯台")]),
    ("bg", "21140304", "市场监管北港", "区市场监管局", "龙港区北港镇中心街12号",
     [(WindowKind.ACCEPTANCE, "综合受理"), (WindowKind.ACCEPTANCE, "食品经营许可"),
      (WindowKind.INQUIRY, "综合资讯台")]),
    ("fy", "21140305", "妇幼保健", "区卫健局", "龙港区文化路55号",
     [(WindowKind.ACCEPTANCE, "出生医学证明"), (WindowKind.ACCEPTANCE, "生育服务登记"), (WindowKind.CASHIER, "收费"),
      (WindowKind.INQUIRY, "综合资讯台")]),
    ("jz", "21140306", "救助", "区民政局", "龙港区滨海路8号",
     [(WindowKind.ACCEPTANCE, "救助申请受理"), (WindowKind.ACCEPTANCE, "寻亲与返乡"),
      (WindowKind.INQUIRY, "综合资讯台")]),
    ("xf", "21140307", "信访接待", "区信访局", "龙港区龙湾大街2号",
     [(WindowKind.ACCEPTANCE, "来访接待"), (WindowKind.ACCEPTANCE, "来信与网上信访"),
      (WindowKind.COMPLAINT, "复查复核"), (WindowKind.INQUIRY, "综合资讯台")]),
    ("da", "21140308", "档案", "区档案局", "龙港区文化路120号",
     [(WindowKind.ACCEPTANCE, "档案查阅利用"), (WindowKind.ACCEPTANCE, "档案证明出具"),
      (WindowKind.INQUIRY, "综合资讯台")]),
]
# 文书代字 of each demo centre, as the numbers of its documents show it (龙港公法受〔2026〕15号).
DOC_PREFIXES = {"21140300": "龙港政服", "21140301": "龙港公法", "21140302": "龙港运管", "21140303": "龙港龙湾市监",
                "21140304": "龙港北港市监", "21140305": "龙港妇幼", "21140306": "龙港救助", "21140307": "龙港信访",
                "21140308": "龙港档案"}
MAIN_WINDOWS = [(WindowKind.ACCEPTANCE, "综合受理"), (WindowKind.CASHIER, "统一收费"),
                (WindowKind.COMPLAINT, "投诉受理"), (WindowKind.INQUIRY, "综合资讯台")]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["丽", "伟", "静", "敏", "强", "磊", "洋", "艳", "军", "杰", "娟", "涛", "明", "超", "秀英", "海燕",
         "志强", "晓东", "春梅", "建华", "玉兰", "国庆", "红霞", "立新", "文博", "雅婷", "子涵", "思远"]


@dataclass
class DemoAccount:
    username: str
    role: str
    full_name: str
    centers: list[str]
    window: int | None = None


def demo_password() -> str:
    return os.environ.get("SH_DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)


def _name(i: int) -> str:
    return SURNAMES[(i * 7) % len(SURNAMES)] + GIVEN[(i * 5 + i // len(GIVEN)) % len(GIVEN)]


def _credit_code(serial: int) -> str:
    first17 = f"11{DISTRICT[0]}MB{serial:07d}"
    return first17 + credit_code_check_char(first17)


def _account(username: str, role: str, full_name: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = account_create(actor=None, username=username, password=demo_password(), role=role, full_name=full_name,
                              must_change_password=False)
    return user


def _ensure_center(district, code, name, kind, department, parent, address) -> ServiceCenter:
    center = ServiceCenter.objects.filter(code=code).first()
    if center is None:
        center = ServiceCenter(code=code, name=name, kind=kind, district=district, department=department,
                               parent=parent, address=address, phone="0429-3" + code[-4:] + "1",
                               complaint_phone="0429-12345", doc_prefix=DOC_PREFIXES.get(code, ""))
        center.full_clean()
        center.save()
    return center


def _ensure_windows_and_staff(center: ServiceCenter, windows, start_index: int, department) -> list[Staff]:
    staff = []
    count = len(windows) + 2  # every window has an A, plus two who stand in
    for n in range(count):
        person, _ = Staff.objects.get_or_create(
            center=center, employee_no=f"{center.code[-2:]}{n + 1:03d}",
            defaults={"name": _name(start_index + n), "department": department,
                      "position": "窗口人员" if n < len(windows) else "综合岗",
                      "phone": f"139{int(center.code[-2:]):02d}{n + 1:06d}"},
        )
        staff.append(person)
    for number, (kind, label) in enumerate(windows, start=1):
        window, _ = Window.objects.get_or_create(center=center, number=number, defaults={"name": label, "kind": kind})
        if not BackupPost.objects.filter(window=window).exists():
            holder = staff[number - 1]
            backup = staff[len(windows) + (number - 1) % 2]
            BackupPost.objects.create(center=center, window=window, holder=holder, backup_staff=backup)
    return staff


def load_demo_organisation() -> tuple[District, list[DemoAccount]]:
    """The district with its centres, windows, staff and AB posts, and the demo accounts."""
    district, _ = District.objects.get_or_create(code=DISTRICT[0], defaults={"name": DISTRICT[1]})
    departments = {}
    for serial, dept in enumerate(["区营商局"] + sorted({b[3] for b in BRANCHES}), start=1):
        departments[dept], _ = Department.objects.get_or_create(
            district=district, name=dept, defaults={"credit_code": _credit_code(serial)})
    main = _ensure_center(district, MAIN_CENTER_CODE, f"{district.name}行政服务中心", CenterKind.CENTER,
                          departments["区营商局"], None, "龙港区龙湾大街100号")
    accounts: list[DemoAccount] = []

    def member(user, center=None, department=None):
        Membership.objects.get_or_create(user=user, center=center, department=department)

    for username, role, full_name in [
        ("bureau", Role.BUREAU, "陈晓梅"), ("leader", Role.LEADERSHIP, "刘建国"),
    ]:
        member(_account(username, role, full_name), center=main)
        accounts.append(DemoAccount(username, role, full_name, [main.code]))
    _ensure_windows_and_staff(main, MAIN_WINDOWS, 0, departments["区营商局"])

    for index, (short, code, part, dept, address, windows) in enumerate(BRANCHES, start=1):
        center = _ensure_center(district, code, f"{district.name}行政服务中心{part}分中心", CenterKind.BRANCH,
                                departments[dept], main, address)
        staff = _ensure_windows_and_staff(center, windows, index * 11, departments[dept])
        manager_name = _name(index * 5 + 3)
        manager = _account(f"{short}_manager", Role.MANAGER, manager_name)
        member(manager, center=center)
        accounts.append(DemoAccount(manager.username, Role.MANAGER, manager_name, [code]))
        for n in (1, 2):
            person = staff[n - 1]
            user = _account(f"{short}_staff{n}", Role.STAFF, person.name)
            if person.user_id is None:
                Staff.objects.filter(pk=person.pk).update(user=user)
            member(user, center=center)
            accounts.append(DemoAccount(user.username, Role.STAFF, person.name, [code],
                                        Window.objects.get(center=center, number=n).pk))

    dept_manager = _account("scjg_dept", Role.MANAGER, "周志强")
    member(dept_manager, department=departments["区市场监管局"])
    accounts.append(DemoAccount("scjg_dept", Role.MANAGER, "周志强",
                                list(ServiceCenter.objects.filter(department=departments["区市场监管局"])
                                     .values_list("code", flat=True))))
    for username, role, full_name in [
        ("sysadmin", Role.SYSADMIN, "系统管理员"), ("secadmin", Role.SECADMIN, "安全管理员"),
        ("auditadmin", Role.AUDITADMIN, "审计管理员"),
    ]:
        _account(username, role, full_name)
        accounts.append(DemoAccount(username, role, full_name, []))
    return district, accounts
