"""Who may do what, generated from the declarations (NetBox's ViewTestCases idea): every declared
action × every role × a centre of one's own and of another's, on the check itself and on every
page and API operation that names it. A new app joins by declaring its actions in its
permissions.py and naming them on its views (`web.requires`, `api_auth.permitted`); a view that
names nothing and is not marked public fails here, and so does an action nothing checks.
"""

import ast
import json
from datetime import date, time
from pathlib import Path

from django.db import transaction
from django.test import SimpleTestCase
from django.urls import URLPattern, URLResolver, get_resolver

from servicehall.accounts.models import Role
from servicehall.accounts.permissions import (
    ADMINS,
    BUSINESS,
    CENTRE,
    EVERY_CENTRE,
    EVERYONE,
    LEADERSHIP,
    actions,
    can,
    require,
    rule,
    visible_centre_ids,
)
from servicehall.api import api
from servicehall.attendance.services import leave_apply, shift_save
from servicehall.audit.models import AuditEvent
from servicehall.audit.selectors import events_for_user
from servicehall.cases.services import case_submit
from servicehall.cases.tests.helpers import PERSON, item_data, materials, publish
from servicehall.catalog.services import item_propose
from servicehall.complaints.services import complaint_file
from servicehall.db.hotcache import clear_all
from servicehall.inquiries.services import inquiry_log
from servicehall.lib.errors import Forbidden, NotFound
from servicehall.queueing.models import CategoryWindow, TicketCategory
from servicehall.queueing.services import ticket_act, ticket_call_next, ticket_issue
from servicehall.reviews.models import Rectification
from servicehall.reviews.services import review_submit
from servicehall.supervision.models import Alert, RuleVersion, SupervisionRule
from servicehall.supervision.services import order_issue, rules_ensure
from servicehall.testing import WORKING_MORNING, PersonaTestCase, crawl, during_opening_hours
from servicehall.workcalendar.models import CalendarDay

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = ["staff_a", "staff_b", "manager_a", "manager_b", "bureau", "other_bureau", "city_bureau", "leader",
            "sysadmin", "secadmin", "auditadmin"]
CHECKS = {"can", "require", "requires", "permitted", "roles_for", "rule", "account_action"}  # take an action
# Leadership reads; an action it may do must be a read (its code says so).
READ_VERBS = {"view", "figures", "export", "desk", "password"}


class _Undo(Exception):
    def __init__(self, response):
        self.response = response


def declared_in_code() -> set[str]:
    """Every action a module of the project names: the first argument of a check, a
    `required_action`, the navigation's third column."""
    found = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                args = node.args[1:2] if name in {"can", "require", "account_action"} else node.args[:1]
                if name in CHECKS:
                    found |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
            elif isinstance(node, ast.Assign) and any(getattr(t, "attr", None) == "required_action"
                                                      for t in node.targets):
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    found.add(node.value.value)
            elif isinstance(node, ast.Tuple) and len(node.elts) == 3 and path.name == "context.py":
                last = node.elts[2]
                if isinstance(last, ast.Constant) and isinstance(last.value, str):
                    found.add(last.value)
    return found


class DeclarationTests(SimpleTestCase):
    def test_every_declared_action_is_checked_somewhere_and_every_checked_one_is_declared(self):
        declared, checked = set(actions()), declared_in_code()
        self.assertEqual(checked - declared, set(), "checked but never declared")
        self.assertEqual(declared - checked, set(), "declared but never checked")

    def test_each_rule_names_real_roles_a_label_and_a_scope(self):
        for code, found in actions().items():
            with self.subTest(action=code):
                self.assertTrue(found.roles)
                self.assertLessEqual(found.roles, EVERYONE)
                self.assertTrue(found.label)
                self.assertIn(found.scope, {CENTRE, EVERY_CENTRE})

    def test_the_three_admins_keep_apart_from_the_business_and_from_each_other(self):
        """三权分立: no admin does business (but the few things everyone does, and reading the
        audit trail, whose rows are scoped by org's reader rule); the audit admin only reads;
        the security policy and the admin site each belong to one admin."""
        for code, found in actions().items():
            with self.subTest(action=code):
                if found.roles != EVERYONE and found.roles & BUSINESS and code != "audit.read":
                    self.assertFalse(found.roles & ADMINS, sorted(found.roles))
                if Role.AUDITADMIN in found.roles:
                    self.assertIn(code.split(".")[1], READ_VERBS | {"read", "verify"})  # verifying the chain reads it
        self.assertEqual(rule("security_policy.edit").roles, {Role.SECADMIN})
        self.assertEqual(rule("admin.site").roles, {Role.SYSADMIN})

    def test_the_leadership_group_only_reads(self):
        for code, found in actions().items():
            if found.roles & LEADERSHIP and found.roles != EVERYONE:
                with self.subTest(action=code):
                    self.assertIn(code.split(".")[1].split("_")[-1], READ_VERBS)


class CheckTests(PersonaTestCase):
    """The check is exactly "the role may, and the centre is one the user sees" (or, for rules
    of every centre, the user sees them all), for every declared action and every role, on a
    centre of one's own, of another of one's district and of another district."""

    def test_every_action_for_every_role_on_every_kind_of_centre(self):
        centres = [self.p.center_a, self.p.center_b, self.p.other_center, None]
        every = set(visible_centre_ids(self.p.city_bureau))
        for code, found in actions().items():
            for persona in PERSONAS:
                user = getattr(self.p, persona)
                sees = set(visible_centre_ids(user))
                for centre in centres:
                    with self.subTest(action=code, persona=persona, centre=getattr(centre, "code", None)):
                        role = user.role in found.roles
                        if found.scope == EVERY_CENTRE:
                            expected = role and every <= sees
                        else:
                            expected = role and (centre is None or centre.pk in sees)
                        self.assertEqual(can(user, code, centre), expected)
                        if expected:
                            require(user, code, centre)
                        elif centre is not None and centre.pk not in sees and found.scope == CENTRE:
                            self.assertRaises(NotFound, require, user, code, centre)  # never revealed
                        else:
                            with self.assertRaisesMessage(Forbidden, found.refusal):
                                require(user, code, centre)

    def test_an_inactive_or_anonymous_user_may_do_nothing(self):
        from django.contrib.auth.models import AnonymousUser

        self.p.staff_a.is_active = False
        for code in actions():
            with self.subTest(action=code):
                self.assertFalse(can(self.p.staff_a, code))
                self.assertFalse(can(AnonymousUser(), code))

    def test_an_undeclared_action_is_an_error_not_a_refusal(self):
        from django.core.exceptions import ImproperlyConfigured

        with self.assertRaises(ImproperlyConfigured):
            can(self.p.bureau, "case.handel")


def _pages():
    """(route, URL name, view) of every page, Django's admin and the API apart."""
    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                name = ":".join(filter(None, [namespace, pattern.namespace]))
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), name)
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), ":".join(filter(None, [namespace, pattern.name])), pattern.callback
    for route, name, view in walk(get_resolver().url_patterns, "/", ""):
        if not route.startswith(("/admin/", "/api/")):
            yield route, name, view


def _operations():
    """(path, method, action or None for public, whether it is public, whether it names two
    actions, the statuses it declares) of every API operation; the audit trail's name their
    action on the function (audit sits below the permission check)."""
    for router in api._get_bound_routers():
        for path, view in router.path_operations.items():
            for operation in view.operations:
                declared = {getattr(cb, "action", None) for cb in operation.auth_callbacks} - {None}
                action = next(iter(declared), None) or getattr(operation.view_func, "required_action", None)
                public = not operation.auth_callbacks
                for method in operation.methods:
                    yield (f"/api/v1{router.prefix}{path}", method, action, public, len(declared) > 1,
                           set(operation.response_models))


@during_opening_hours
class EndpointTests(PersonaTestCase):
    """Every page and API operation refuses exactly whom its declared action refuses: 403 with
    that action's refusal for a role that may not, 404 for what another centre owns, and
    neither for a role that may on its own centre. The requests change nothing that stays
    (each is rolled back)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        p = cls.p
        when = WORKING_MORNING
        cls.objects = {}
        rules_ensure()
        CalendarDay.objects.create(date=date(2026, 12, 31), is_workday=False, name="测试")
        for centre, staff, manager, window, person in ((p.center_a, p.staff_a, p.manager_a, p.window_a, p.person_a),
                                                         (p.center_b, p.staff_b, p.manager_b, p.window_b, p.person_b)):
            item = publish(p, item_data(f"法律援助申请{centre.code}"), center=centre)
            case = case_submit(actor=staff, center=centre, items=[item.code], applicant=PERSON,
                               materials=list(materials(item).values()))
            change = item_propose(actor=manager, center=centre, data=item_data(f"新事项{centre.code}"), submit=False)
            inquiry = inquiry_log(actor=staff, center=centre, topic="咨询办理条件", window=window)
            category = TicketCategory.objects.create(center=centre, prefix="A", name="综合受理")
            CategoryWindow.objects.create(category=category, window=window)
            ticket_issue(center=centre, prefix="A", phone="13800138000", now=when)
            ticket = ticket_act(actor=staff, ticket=ticket_call_next(actor=staff, window=window, now=when),
                                action="finish", now=when)
            review_submit(ticket=ticket, level=1, channel=4, reasons=["等候时间过长"], now=when)
            waiting = ticket_issue(center=centre, prefix="A", now=when)
            alert = Alert.objects.create(
                rule=SupervisionRule.objects.get(code="case_overdue"), rule_version=RuleVersion.objects.get(
                    rule__code="case_overdue", number=1), subject="case", subject_id=case.pk, subject_label=case.number,
                center=centre, staff=staff, level="red", evidence={"due_date": "2026-12-01"}, raised_at=when)
            order = order_issue(actor=p.bureau, center=centre, alerts=[alert], requirement="立即办结", days=3, now=when)
            shift_save(actor=manager, center=centre, name="全天", starts_at=time(9), ends_at=time(17), now=when)
            leave = leave_apply(actor=staff, staff=person, kind="personal", starts_on=date(2027, 3, 1),
                                starts_half="am", ends_on=date(2027, 3, 1), ends_half="am", reason="家中有事", now=when)
            complaint, _ = complaint_file(actor=staff, channel="window", kind="complaint", center=centre,
                                          title="态度生硬", content="工作人员态度生硬", now=when)
            cls.objects[centre.pk] = {
                "alert_id": alert.pk, "order_id": order.pk, "leave_id": leave.pk, "complaint_id": complaint.pk,
                "code": centre.code, "item": item.code, "number": case.number, "window_id": window.pk,
                "staff_id": person.pk, "inquiry_id": inquiry.pk, "change_id": change.pk, "ticket_id": waiting.pk,
                "pk": Rectification.objects.get(center=centre).pk,
                "event_id": AuditEvent.objects.get(action="case.receive", object_id=str(case.pk)).pk,
            }
        cls.fixed = {"user_id": p.staff_a.pk, "day": "2026-12-31", "year": 2026, "kind": "receipt"}

    def fill(self, route: str, centre) -> str:
        """The route with the objects of `centre`; a catalogue route's code is an item's."""
        values = {**self.fixed, **self.objects[centre.pk]}
        if "/admins/" in route:  # the admins' accounts page names an admin's account
            values["user_id"] = self.p.auditadmin.pk
        if "/items/" in route:
            values["code"] = values["item"]
        for name, value in values.items():
            for pattern in (f"<str:{name}>", f"<int:{name}>", f"<{name}>", f"{{{name}}}"):
                route = route.replace(pattern, str(value))
        for name, value in (("action", "recall" if "/tickets/" in route else "review"),):
            route = route.replace(f"{{{name}}}", value)
        return route

    def send(self, user, method: str, url: str, body=None):
        """The request, rolled back afterwards (a POST that was allowed changes nothing)."""
        if user is None:
            self.client.logout()
        else:
            self.client.force_login(user)
        try:
            with transaction.atomic():
                if method == "GET":
                    response = self.client.get(url)
                elif url.startswith("/api/"):
                    response = self.client.generic(method, url, json.dumps(body or {}), content_type="application/json")
                else:
                    response = self.client.generic(method, url, "")
                raise _Undo(response)
        except _Undo as undo:
            response = undo.response
        finally:
            clear_all()
        return response

    def sees(self, user, owner, url: str) -> bool:
        """Whether `user` may see what `url` names of `owner`: its centre is one the user sees;
        an audit row, by the trail's own reader rule (the audit admin reads every row, window
        staff their own actions)."""
        if "/audit/" in url:
            return events_for_user(user).filter(pk=self.objects[owner.pk]["event_id"]).exists()
        return owner.pk in visible_centre_ids(user)

    def owns(self, route: str) -> bool:
        return any(marker in route for marker in ("<", "{")) and not any(
            marker in route for marker in ("user_id", "<str:day>", "<int:year>"))

    def check(self, url, method, action, owner, label, body=None):
        """`owner`: the centre whose object the URL names (None: none). An API write's body is
        read before its objects are looked up: with a body it refuses, another centre's object
        may get that 400 rather than the 404, which tells nothing of the object either."""
        found = rule(action)
        api_write = url.startswith("/api/") and method != "GET"
        for persona in PERSONAS:
            user = getattr(self.p, persona)
            with self.subTest(endpoint=label, persona=persona, centre=getattr(owner, "code", None)):
                response = self.send(user, method, url, body)
                body = response.content.decode(errors="replace")
                if response.get("Content-Type", "").startswith("application/json"):
                    answer = response.json()
                    body = answer.get("message", "") if isinstance(answer, dict) else body
                if not can(user, action):
                    self.assertEqual(response.status_code, 403, body[:300])
                    self.assertIn(found.refusal, body)
                elif owner is not None and not self.sees(user, owner, url):
                    self.assertIn(response.status_code, (400, 404) if api_write else (404,), body[:300])
                else:
                    self.assertNotIn(response.status_code, (401,) if api_write else (401, 404), body[:300])
                    self.assertLess(response.status_code, 500, body[:300])
                    self.assertFalse(response.status_code == 403 and found.refusal in body, body[:300])

    def test_every_page_declares_its_action_and_refuses_exactly_whom_it_names(self):
        pages = list(_pages())
        self.assertGreater(len(pages), 70)
        for route, name, view in pages:
            with self.subTest(page=name):
                self.assertTrue(hasattr(view, "required_action"), f"{route} names no action and is not public")
            action = getattr(view, "required_action", None)
            if action is None:
                continue
            methods = ["POST"] if name in POST_ONLY else ["GET"]
            owners = [self.p.center_a, self.p.center_b] if self.owns(route) else [None]
            for owner in owners:
                url = self.fill(route, owner or self.p.center_a)
                for method in methods:
                    self.check(url, method, action, owner, name)
                    with self.subTest(page=name, persona="anonymous"):
                        response = self.send(None, method, url)
                        self.assertEqual(response.status_code, 302)
                        self.assertIn("/accounts/login/", response["Location"])

    def test_every_api_operation_declares_its_action_and_refuses_exactly_whom_it_names(self):
        operations = list(_operations())
        self.assertGreater(len(operations), 35)
        for path, method, action, public, mixed, statuses in operations:
            label = f"{method} {path}"
            with self.subTest(operation=label):
                self.assertFalse(mixed, "one operation, two actions")
                self.assertTrue(public or action, f"{label} names no action")
                if public:
                    self.assertIn(path, PUBLIC_OPERATIONS, f"{label} takes no key: is it meant to be public?")
                else:  # the OpenAPI document says what the check may answer
                    self.assertLessEqual({401, 403}, statuses, f"{label} does not declare 401 and 403")
            if action is None:
                continue
            owners = [self.p.center_a, self.p.center_b] if "{" in path else [None]
            for owner in owners:
                url = self.fill(path, owner or self.p.center_a)
                body = {key: self.objects[(owner or self.p.center_a).pk].get(value, value)
                        for key, value in PAYLOADS.get(path, {}).items()}
                self.check(url, method, action, owner, label, body)
                with self.subTest(operation=label, persona="anonymous"):
                    self.assertEqual(self.send(None, method, url).status_code, 401)


POST_ONLY = {"accounts:unlock", "workcalendar:day_delete", "workcalendar:year_confirm", "catalog:withdraw",
             "catalog:decide", "inquiries:answer", "inquiries:hand_over", "inquiries:close", "queueing:terminal_act",
             "cases:act", "accounts:admin_active", "attendance:leave_decide", "attendance:leave_change",
             "attendance:sign", "complaints:act"}
# The bodies of operations that need one to reach their objects (a name of `objects` stands for
# the centre's object).
PAYLOADS = {"/api/v1/windows/{window_id}/call": {"ticket": "ticket_id"},
            "/api/v1/windows/{window_id}/pause": {"paused": True},
            "/api/v1/complaints": {"hotline_order": "GD2026112600001", "center": "code", "appeal_type": "complaint",
                                   "title": "态度生硬", "content": "工作人员态度生硬"}}
# Operations anyone may call: devices and citizens (their key or token is checked inside), the
# public catalogue and calendar, and the API's own description.
PUBLIC_OPERATIONS = {
    "/api/v1/health", "/api/v1/centers/{code}/hall", "/api/v1/centers/{code}/appointment-days",
    "/api/v1/centers/{code}/appointment-slots", "/api/v1/centers/{code}/appointments",
    "/api/v1/appointments/{booking_code}/cancel", "/api/v1/calendar/due-date", "/api/v1/items", "/api/v1/items/{code}",
    "/api/v1/reviews", "/api/v1/reviews/{int:review_id}", "/api/v1/pads/idle", "/api/v1/attendance/punches",
}


class LinkTests(EndpointTests):
    """A page never shows a link or a button its user cannot follow: each role walks every page
    it can reach from its home page (one of each kind), following each link (GET) and checking
    the action of each form it is offered against the permission check."""

    MAX_PAGES = 80  # of distinct kinds per role

    test_every_page_declares_its_action_and_refuses_exactly_whom_it_names = None
    test_every_api_operation_declares_its_action_and_refuses_exactly_whom_it_names = None

    def test_no_role_is_shown_a_link_or_button_it_cannot_follow(self):
        for persona in PERSONAS:
            self.client.force_login(getattr(self.p, persona))
            walked = crawl(self.client, getattr(self.p, persona), max_pages=self.MAX_PAGES)
            with self.subTest(persona=persona):
                self.assertEqual(walked.dead_ends, [])
                self.assertGreater(walked.pages, 1, persona)
