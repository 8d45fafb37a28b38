"""Test personas shared by every app's tests (DESIGN.md: staff of A, staff of B, bureau…).

`Personas.build()` makes two branch centres (A, B) in 龙港区, a main centre, a second district
(连山区) with its own bureau, and one user per role. Use `PersonaTestCase` as the base class;
`run_together` races functions in threads (PostgreSQL concurrency tests).
"""

import threading
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase, override_settings

from servicehall.accounts.models import Role, User
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

PASSWORD = "Test#Pass2026"
# A working morning (Thursday 26 November 2026, 10:00 Beijing time): the centres issue tickets
# only on working days within their hours, so tests that issue "now" run at this moment,
# whatever day and hour the suite itself runs.
WORKING_MORNING = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def during_opening_hours(test):
    """Run a test (or every test of a class) on WORKING_MORNING, the clock ticking from there."""
    return time_machine.travel(WORKING_MORNING, tick=True)(test)


def next_working_morning(calendar, at: time = time(10, 0), now: datetime | None = None) -> datetime:
    """Now, if `calendar` (a WorkCalendar) makes it a working day between `at` and 16:00;
    otherwise `at` on the next working day. Browser tests and screenshots travel here, never
    back: a browser drops a session cookie whose expiry the travelled server set in its past."""
    from django.utils import timezone

    now = timezone.localtime(now or timezone.now())
    if calendar.is_workday(now.date()) and at <= now.time() < time(16, 0):
        return now
    later_today = calendar.is_workday(now.date()) and now.time() < at
    day = now.date() if later_today else calendar.add_workdays(now.date(), 1).due
    return datetime.combine(day, at, tzinfo=now.tzinfo)


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Personas:
    district: District
    other_district: District
    main: ServiceCenter
    center_a: ServiceCenter
    center_b: ServiceCenter
    other_center: ServiceCenter
    dept_a: Department
    dept_b: Department
    window_a: Window
    window_b: Window
    staff_a: User
    staff_b: User
    manager_a: User
    manager_b: User
    bureau: User
    other_bureau: User
    city_bureau: User
    leader: User
    sysadmin: User
    secadmin: User
    auditadmin: User
    person_a: Staff
    person_b: Staff

    @classmethod
    def build(cls) -> "Personas":
        district = District.objects.create(code="211403", name="龙港区")
        other_district = District.objects.create(code="211402", name="连山区")
        bureau_dept = Department.objects.create(district=district, name="区营商局")
        dept_a = Department.objects.create(district=district, name="区司法局")
        dept_b = Department.objects.create(district=district, name="区交通局")
        other_dept = Department.objects.create(district=other_district, name="区营商局")
        main = ServiceCenter.objects.create(code="21140300", name="龙港区行政服务中心", kind=CenterKind.CENTER,
                                            district=district, department=bureau_dept)
        center_a = ServiceCenter.objects.create(code="21140301", name="龙港区行政服务中心公共法律服务分中心",
                                                district=district, department=dept_a, parent=main)
        center_b = ServiceCenter.objects.create(code="21140302", name="龙港区行政服务中心运输管理分中心",
                                                district=district, department=dept_b, parent=main)
        other_center = ServiceCenter.objects.create(code="21140200", name="连山区行政服务中心", kind=CenterKind.CENTER,
                                                    district=other_district, department=other_dept)

        def user(username, role, *centers, department=None):
            u = User.objects.create_user(username=username, password=PASSWORD, role=role, full_name=username)
            for c in centers:
                Membership.objects.create(user=u, center=c)
            if department is not None:
                Membership.objects.create(user=u, department=department)
            return u

        staff_a = user("staff_a", Role.STAFF, center_a)
        staff_b = user("staff_b", Role.STAFF, center_b)
        windows, people = [], []
        for center, login in ((center_a, staff_a), (center_b, staff_b)):
            window = Window.objects.create(center=center, number=1, name="综合受理", kind=WindowKind.ACCEPTANCE)
            holder = Staff.objects.create(center=center, user=login, name="李娜", employee_no="001",
                                          phone="13812345678")
            backup = Staff.objects.create(center=center, name="王强", employee_no="002")
            BackupPost.objects.create(center=center, window=window, holder=holder, backup_staff=backup)
            windows.append(window)
            people.append(holder)
        return cls(
            district=district, other_district=other_district, main=main, center_a=center_a, center_b=center_b,
            other_center=other_center, dept_a=dept_a, dept_b=dept_b, window_a=windows[0], window_b=windows[1],
            staff_a=staff_a, staff_b=staff_b,
            manager_a=user("manager_a", Role.MANAGER, center_a),
            manager_b=user("manager_b", Role.MANAGER, center_b),
            bureau=user("bureau", Role.BUREAU, main),
            other_bureau=user("other_bureau", Role.BUREAU, other_center),
            city_bureau=user("city_bureau", Role.CITY_BUREAU),
            leader=user("leader", Role.LEADERSHIP, main),
            sysadmin=user("sysadmin", Role.SYSADMIN),
            secadmin=user("secadmin", Role.SECADMIN),
            auditadmin=user("auditadmin", Role.AUDITADMIN),
            person_a=people[0], person_b=people[1],
        )


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class PersonaTestCase(TestCase):
    """Personas built once per class. Passwords use a fast hasher in tests: the default
    (PBKDF2, 10^6 rounds) costs about half a second each, and no rule under test depends on
    the hasher; production keeps Django's default."""

    p: Personas

    @classmethod
    def setUpTestData(cls):
        cls.p = Personas.build()

    def login(self, user: User):
        self.client.force_login(user)
        return self.client


def run_together(*works) -> list[Exception]:
    """Each function in a thread of its own (with its own connection), started at one barrier;
    the exceptions they raised."""
    barrier, errors = threading.Barrier(len(works)), []

    def run(work):
        try:
            barrier.wait()
            work()
        except Exception as exc:  # noqa: BLE001 (returned to the test)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@dataclass
class Walk:
    pages: int
    dead_ends: list[str]


def _targets(html: str, base: str) -> tuple[list[str], list[str]]:
    """The same-site links and the POST forms' actions of a page."""
    from html.parser import HTMLParser
    from urllib.parse import urljoin

    links, forms = [], []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "a" and attrs.get("href"):
                links.append(urljoin(base, attrs["href"]))
            elif tag == "form" and (attrs.get("method") or "get").lower() == "post":
                forms.append(urljoin(base, attrs.get("action") or base))

    Parser().feed(html)
    local = [u.removeprefix("http://testserver") for u in links if u.startswith(("/", "http://testserver/"))]
    return [u.split("#")[0] for u in local if not u.startswith(("/static/", "/admin/"))], forms


def crawl(client, user, *, start: str = "/", max_pages: int = 80) -> Walk:
    """Walk what `user` (signed in on `client`) reaches from `start`, one page of each kind (view
    and query keys), following every link (GET) and checking each POST form it is offered
    against the permission check. A dead end is a link that answers neither 200 nor 302, a link
    to no page, or a form whose action the user may not take."""
    from urllib.parse import parse_qs, urlsplit

    from django.urls import Resolver404, resolve

    from servicehall.accounts.permissions import can

    seen, queue, pages, dead = set(), [start], 0, []
    while queue and pages < max_pages:
        url = queue.pop(0)
        parts = urlsplit(url)
        try:
            match = resolve(parts.path)
        except Resolver404:
            dead.append(f"a link to {url}, which is no page")
            continue
        kind = (match.view_name, frozenset(parse_qs(parts.query)))
        if kind in seen:
            continue
        seen.add(kind)
        pages += 1
        response = client.get(url)
        if response.status_code not in (200, 302):
            dead.append(f"{url} answers {response.status_code}")
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        links, forms = _targets(response.content.decode(), url)
        queue += [link for link in links if link not in queue]
        for action_url in forms:
            form_path = urlsplit(action_url).path
            if form_path.startswith("/accounts/logout"):
                continue
            required = getattr(resolve(form_path).func, "required_action", None)
            if required is not None and not can(user, required):
                dead.append(f"{url} offers a form to {form_path} ({required})")
    return Walk(pages, dead)

