"""`make screenshots`: the whole product as its users meet it, in about a minute.

A fresh SQLite copy of the Longgang demo (under var/screens/) is served in this process on the
next working morning at 09:40 (time-machine; now, if it is one), a few citizens take tickets
and are called, and headless Chromium (Debian's) renders every device
page at its real size (JOURNEYS.md) and every printed document as PDF (each PDF page rendered
to PNG). Everything lands in var/screenshots/, one file per screen, named by device and page.
"""

import os
import shutil
import socket
import sys
import threading
from datetime import time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = ROOT / "var" / "screens"
OUT = ROOT / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

# Each device at its real size (JOURNEYS.md): viewport, device scale, touch.
DEVICES = {
    "kiosk": ({"width": 1080, "height": 1920}, 1, True),
    "tv": ({"width": 1920, "height": 1080}, 1, False),
    "window": ({"width": 800, "height": 480}, 1, False),
    "pad": ({"width": 1280, "height": 800}, 1, True),
    "phone": ({"width": 390, "height": 844}, 2, True),
    "office": ({"width": 1366, "height": 768}, 1, False),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(port: int) -> None:
    """A fresh database and static files, with this server's address for QR codes."""
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    os.environ.update({"SH_VAR_DIR": str(VAR), "DATABASE_URL": f"sqlite:///{VAR / 'db.sqlite3'}",
                       "DJANGO_SETTINGS_MODULE": "servicehall.settings", "SH_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"})
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def load_demo() -> None:
    from django.core.management import call_command

    with open(os.devnull, "w") as quiet:
        call_command("load_demo", stdout=quiet)
        call_command("review_pads", stdout=quiet)


def serve(port: int) -> None:
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", port), Quiet)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()


class Scene:
    """The demo's keys, numbers and tokens the pages need, and the morning's queue."""

    def __init__(self):
        from servicehall.cases.models import Case, CaseStatus
        from servicehall.org.models import ServiceCenter, Window
        from servicehall.queueing.models import QueueSettings
        from servicehall.reviews.models import EvaluationPad

        self.center = ServiceCenter.objects.get(code="21140301")
        self.settings = QueueSettings.objects.get(center=self.center)
        self.windows = list(Window.objects.filter(center=self.center, is_active=True).order_by("number"))
        self.pad = EvaluationPad.objects.get(window=self.windows[0])
        self.idle_pad = EvaluationPad.objects.get(window=self.windows[1])
        cases = Case.objects.filter(center=self.center)
        self.accepted = cases.filter(status=CaseStatus.ACCEPTED).order_by("-id").first()
        self.awaiting = cases.filter(status=CaseStatus.AWAITING_MATERIALS).order_by("-id").first()
        self.refused = cases.filter(status=CaseStatus.REFUSED).order_by("-id").first()
        self.billed = cases.filter(bill__isnull=False).order_by("-id").first()
        self.completed = cases.filter(status=CaseStatus.COMPLETED).order_by("-id").first()
        from servicehall.catalog.models import ServiceItem
        from servicehall.reviews.models import Rectification

        self.item = ServiceItem.objects.filter(center=self.center, status="active").order_by("code").first()
        from servicehall.accounts.models import Role, User

        self.rectification = Rectification.objects.order_by("-id").first()  # any centre's: the demo's are few
        self.rectifier = User.objects.filter(role=Role.MANAGER, memberships__center=self.rectification.center) \
            .order_by("username").first().username
        from servicehall.supervision.models import Alert, SupervisionOrder

        self.order = SupervisionOrder.objects.order_by("id").first()  # the demo's orange one
        self.order_manager = User.objects.filter(role=Role.MANAGER, memberships__center=self.order.center) \
            .order_by("username").first().username
        self.alert = Alert.objects.filter(subject="case", rule__code="case_step_over_limit").order_by("id").first()
        from servicehall.complaints.models import Complaint

        self.complaint = Complaint.objects.filter(center=self.center, reopened=1).first()  # back after a "不满意"
        self.carded = self.order.cards.order_by("id").first().staff.username

    def morning_queue(self):
        """Citizens take tickets; windows 1 and 2 call, window 1 recalls; one is finished so
        the pad asks for a rating."""
        from django.utils import timezone

        from servicehall.accounts.models import User
        from servicehall.queueing.services import ticket_act, ticket_call_next, ticket_issue

        for prefix, phone in (("A", "13800138001"), ("A", ""), ("B", ""), ("A", "13800138004"), ("B", ""),
                              ("A", ""), ("A", "")):
            last = ticket_issue(center=self.center, prefix=prefix, phone=phone)
        clerks = [User.objects.get(username=name) for name in ("gf_staff1", "gf_staff2")]
        first = ticket_call_next(actor=clerks[0], window=self.windows[0])
        ticket_act(actor=clerks[0], ticket=first, action="start")
        ticket_act(actor=clerks[0], ticket=first, action="finish")
        self.called = ticket_call_next(actor=clerks[0], window=self.windows[0])
        ticket_call_next(actor=clerks[1], window=self.windows[1])
        ticket_act(actor=clerks[0], ticket=self.called, action="recall")
        self.slip_token = last.token  # still waiting: its slip counts who is ahead
        from servicehall.queueing.selectors import bookable_days

        self.next_day = bookable_days(self.center, timezone.now())[0].isoformat()


def shoot(browser, base: str, scene: Scene, at) -> list[str]:
    """Every screen, as (file name, device, who signs in, path, what to do before the shot)."""
    from servicehall.ops.demo import demo_password

    key, display = scene.settings.kiosk_key, scene.settings.display_key
    case = scene.accepted.number
    from django.utils import timezone

    last_month = f"{timezone.localdate().replace(day=1) - timedelta(days=1):%Y-%m}"  # a whole month of the demo
    screens = [
        ("kiosk-idle", "kiosk", None, f"/queue/kiosk/{key}/", None),
        ("kiosk-slip", "kiosk", None, f"/queue/kiosk/{key}/t/{scene.slip_token}/", None),
        ("tv-hall", "tv", None, f"/queue/display/{display}/", lambda p: p.wait_for_timeout(1500)),
        ("window-screen", "window", None, f"/queue/display/{display}/window/{scene.windows[0].number}/",
         lambda p: p.wait_for_timeout(1500)),
        ("pad-idle", "pad", None, f"/reviews/pad/{scene.idle_pad.key}/", lambda p: p.wait_for_timeout(1500)),
        ("pad-rate", "pad", None, f"/reviews/pad/{scene.pad.key}/", lambda p: p.locator("#rate").wait_for()),
        ("pad-reasons", "pad", None, f"/reviews/pad/{scene.pad.key}/", lambda p: (
            p.locator("#rate").wait_for(), p.get_by_role("button", name="非常不满意").click(),
            p.locator("#details").wait_for())),
        ("phone-guide", "phone", None, "/guide/", None),
        ("phone-guide-item", "phone", None, f"/guide/items/{scene.item.code}/", None),
        ("phone-book", "phone", None, f"/queue/book/{scene.center.code}/?category=A&day={scene.next_day}", None),
        ("phone-ticket", "phone", None, f"/queue/t/{scene.slip_token}/", None),
        ("phone-case-status", "phone", None, "/cases/status/", None),
        ("kiosk-guide", "kiosk", None, "/guide/kiosk/", None),
        ("office-staff-home", "office", "gf_staff1", "/", None),
        ("office-staff-terminal", "office", "gf_staff1", f"/queue/window/?window={scene.windows[0].pk}", None),
        ("office-staff-cases", "office", "gf_staff1", "/cases/", None),
        ("office-case", "office", "gf_staff1", f"/cases/{case}/", None),
        ("office-case-new", "office", "gf_staff1", f"/cases/new/?items={scene.item.code}", None),
        ("office-manager-rectification", "office", scene.rectifier,
         f"/reviews/rectifications/{scene.rectification.pk}/", None),
        ("office-manager-home", "office", "gf_manager", "/", None),
        ("office-manager-rectifications", "office", "gf_manager", "/reviews/rectifications/", None),
        ("office-manager-attendance", "office", "gf_manager", "/attendance/", None),
        ("office-manager-attendance-sheet", "office", "gf_manager", f"/attendance/sheet/?month={last_month}", None),
        ("office-manager-attendance-manage", "office", "gf_manager", "/attendance/manage/", None),
        ("office-staff-attendance", "office", "gf_staff1", "/attendance/mine/", None),
        ("office-bureau-leaves", "office", "bureau", "/attendance/leaves/", None),
        ("office-manager-complaints", "office", "gf_manager", "/complaints/", None),
        ("office-manager-complaint", "office", "gf_manager", f"/complaints/{scene.complaint.pk}/", None),
        ("office-staff-complaint-new", "office", "gf_staff1", "/complaints/new/", None),
        ("office-bureau-complaint-figures", "office", "bureau", "/complaints/figures/", None),
        ("office-bureau-complaint-import", "office", "bureau", "/complaints/import/", None),
        ("phone-complaint", "phone", None, f"/complaints/public/{scene.center.code}/?via=qr", None),
        ("phone-review", "phone", None, f"/reviews/t/{scene.slip_token}/", None),
        ("kiosk-complaint", "kiosk", None, f"/complaints/public/{scene.center.code}/?mode=kiosk", None),
        ("office-bureau-attendance-figures", "office", "bureau", "/attendance/figures/",
         lambda p: p.wait_for_timeout(1200)),
        ("office-bureau-home", "office", "bureau", "/", lambda p: p.wait_for_timeout(1200)),
        ("office-bureau-figures", "office", "bureau", "/reviews/figures/", lambda p: p.wait_for_timeout(800)),
        ("office-bureau-audit", "office", "bureau", "/audit/", None),
        ("office-bureau-supervision", "office", "bureau", "/supervision/", lambda p: p.wait_for_timeout(1200)),
        ("office-bureau-alerts", "office", "bureau", "/supervision/alerts/?state=open", None),
        ("office-bureau-alert", "office", "bureau", f"/supervision/alerts/{scene.alert.pk}/", None),
        ("office-manager-order", "office", scene.order_manager, f"/supervision/orders/{scene.order.pk}/", None),
        ("office-staff-cards", "office", scene.carded, "/supervision/cards/mine/", None),
        ("office-leader-home", "office", "leader", "/", lambda p: p.wait_for_timeout(1200)),
        ("office-auditadmin-home", "office", "auditadmin", "/", None),
        ("office-secadmin-home", "office", "secadmin", "/", None),
        ("office-secadmin-admins", "office", "secadmin", "/accounts/admins/", None),
        ("office-secadmin-accounts", "office", "secadmin", "/accounts/users/", None),
    ]
    documents = [("print-receipt", f"/cases/{case}/print/receipt/", "A4"),
                 ("print-notice", f"/cases/{scene.awaiting.number}/print/notice/", "A4"),
                 ("print-refusal", f"/cases/{scene.refused.number}/print/refusal/", "A4"),
                 ("print-bill", f"/cases/{scene.billed.number}/print/bill/", "A4"),
                 ("print-slip", f"/queue/kiosk/{key}/t/{scene.slip_token}/", "80mm")]
    contexts, written = {}, []

    def context(device: str, user: str | None):
        if (device, user) not in contexts:
            viewport, scale, touch = DEVICES[device]
            made = browser.new_context(viewport=viewport, device_scale_factor=scale, has_touch=touch, locale="zh-CN")
            made.set_default_timeout(15000)
            made.clock.set_fixed_time(at)  # the pages' own clocks (the hall display's) show the demo's morning
            if user:
                page = made.new_page()
                page.goto(f"{base}/accounts/login/")
                page.get_by_label("用户名").fill(user)
                page.get_by_label("密码").fill(demo_password())
                page.get_by_role("button", name="登录").click()
                page.wait_for_url(f"{base}/")
                page.close()
            contexts[(device, user)] = made
        return contexts[(device, user)]

    for name, device, user, path, before in screens:
        page = context(device, user).new_page()
        page.goto(base + path)
        if before:
            before(page)
        target = OUT / f"{name}.png"
        page.screenshot(path=str(target), full_page=device == "office")
        written.append(target.name)
        page.close()
    import pypdfium2

    for name, path, size in documents:
        page = context("office", "gf_staff1").new_page()
        page.goto(base + path)
        pdf = OUT / f"{name}.pdf"
        if size == "A4":
            page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
        else:
            page.pdf(path=str(pdf), width="80mm", print_background=True, prefer_css_page_size=True)
        page.close()
        document = pypdfium2.PdfDocument(str(pdf))
        for n in range(len(document)):
            target = OUT / f"{name}-p{n + 1}.png"
            document[n].render(scale=1.5).to_pil().save(target)
            written.append(target.name)
        document.close()
    for made in contexts.values():
        made.close()
    return written


def main() -> int:
    import time_machine

    port = free_port()
    prepare(port)
    from servicehall.testing import next_working_morning
    from servicehall.workcalendar.selectors import get_calendar

    at = next_working_morning(get_calendar(), time(9, 40))
    with time_machine.travel(at, tick=True):
        load_demo()
        scene = Scene()
        scene.morning_queue()
        serve(port)
        shutil.rmtree(OUT, ignore_errors=True)
        OUT.mkdir(parents=True)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            written = shoot(browser, f"http://127.0.0.1:{port}", scene, at)
            browser.close()
    print(f"{len(written)} screenshots in {OUT.relative_to(ROOT)}/ (demo at {at:%Y-%m-%d %H:%M}):")
    for name in written:
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
