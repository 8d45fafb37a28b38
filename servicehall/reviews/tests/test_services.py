"""Reviews: the two codings, one review per service (also under concurrency), bad reviews and
their rectification, appeals, and who may see what."""

import threading
import unittest
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import TransactionTestCase, override_settings

from servicehall.cases.services import case_approve, case_complete, case_review, case_submit
from servicehall.cases.tests.helpers import PERSON, item_data, materials, publish
from servicehall.lib.errors import Conflict, Forbidden, Invalid
from servicehall.queueing.models import CategoryWindow, TicketCategory
from servicehall.queueing.services import ticket_act, ticket_call_next, ticket_issue
from servicehall.reviews.models import (
    EXCHANGE_CODE,
    GBT39046_CODE,
    AppealStatus,
    Level,
    Rectification,
    RectificationStatus,
    Review,
)
from servicehall.reviews.services import (
    appeal_decide,
    appeal_file,
    rater_contact,
    rectification_advance,
    rectification_rate,
    review_submit,
)
from servicehall.testing import FAST_HASHERS, Personas, PersonaTestCase

BEIJING = ZoneInfo("Asia/Shanghai")


def at(day, hour=10):
    return datetime(2026, 11, day, hour, tzinfo=BEIJING)


def finished_ticket(p, when, centre="a"):
    center, window, staff = ((p.center_a, p.window_a, p.staff_a) if centre == "a"
                             else (p.center_b, p.window_b, p.staff_b))
    category = TicketCategory.objects.get_or_create(center=center, prefix="A", defaults={"name": "综合"})[0]
    CategoryWindow.objects.get_or_create(category=category, window=window)
    ticket_issue(center=center, prefix="A", phone="13800138000", now=when)
    ticket = ticket_call_next(actor=staff, window=window, now=when)
    return ticket_act(actor=staff, ticket=ticket, action="finish", now=when)


class CodingTests(unittest.TestCase):
    def test_both_codings_are_pinned(self):
        self.assertEqual([(Level(level).label, code) for level, code in EXCHANGE_CODE.items()],
                         [("非常满意", 5), ("满意", 4), ("基本满意", 3), ("不满意", 2), ("非常不满意", 1)])
        self.assertEqual([(Level(level).label, code) for level, code in GBT39046_CODE.items()],
                         [("非常满意", 1), ("满意", 2), ("基本满意", 3), ("不满意", 4), ("非常不满意", 5)])


class ReviewTests(PersonaTestCase):
    def test_a_finished_ticket_gets_one_review_with_its_window_and_clerk(self):
        ticket = finished_ticket(self.p, at(26))
        review = review_submit(ticket=ticket, level=5, channel=4, indicators={"efficiency": 5, "attitude": 4},
                               now=at(26, 11))
        self.assertEqual((review.window, review.staff, review.center, review.efficiency, review.competence),
                         (self.p.window_a, self.p.staff_a, self.p.center_a, 5, None))
        with self.assertRaises(Conflict) as raised:
            review_submit(ticket=ticket, level=1, channel=3, now=at(26, 12))
        self.assertEqual(raised.exception.code, "already_reviewed")
        self.assertEqual(Review.objects.count(), 1)

    def test_it_refuses_unfinished_services_late_reviews_and_bad_input(self):
        category = TicketCategory.objects.create(center=self.p.center_a, prefix="B", name="综合")
        waiting = ticket_issue(center=self.p.center_a, prefix=category.prefix, now=at(26))
        with self.assertRaises(Conflict) as raised:
            review_submit(ticket=waiting, level=5, channel=4, now=at(26))
        self.assertEqual(raised.exception.code, "not_finished")
        ticket = finished_ticket(self.p, at(10))
        with self.assertRaises(Conflict) as raised:
            review_submit(ticket=ticket, level=5, channel=3, now=at(18))  # more than 7 days later
        self.assertEqual(raised.exception.code, "review_closed")
        for kwargs, field in (({"level": 6}, "level"), ({"level": 5, "channel": 9}, "channel"),
                              ({"level": 1, "reasons": ["看不顺眼"]}, "reasons"),
                              ({"level": 5, "indicators": {"attitude": 0}}, "indicators.attitude")):
            with self.subTest(field=field), self.assertRaises(Invalid) as raised:
                review_submit(ticket=ticket, **({"channel": 4} | kwargs), now=at(10, 11))
            self.assertEqual(raised.exception.field, field)
        self.assertFalse(Review.objects.exists())

    def test_a_completed_case_is_reviewed_with_its_item(self):
        item = publish(self.p, item_data("法律援助申请"))
        case = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[item.code], applicant=PERSON,
                           materials=[m for n, m in materials(item).items() if n != "其他说明材料"], now=at(2))
        with self.assertRaises(Conflict):
            review_submit(case=case, level=4, channel=7, now=at(3))
        case = case_review(actor=self.p.staff_a, case=case, now=at(4))
        case_approve(actor=self.p.manager_a, case=case, now=at(4))
        case = case_complete(actor=self.p.staff_a, case=case, now=at(4))
        review = review_submit(case=case, level=4, channel=7, now=at(5))
        self.assertEqual((review.item, review.staff, review.rater_name), (item, self.p.staff_a, "王秀英"))


@override_settings(SH_RECTIFICATION_DAYS=15)
class RectificationTests(PersonaTestCase):
    def setUp(self):
        self.ticket = finished_ticket(self.p, at(26))
        self.review = review_submit(ticket=self.ticket, level=1, channel=4, reasons=["等候时间过长"], now=at(26, 11))

    def test_a_bad_review_opens_one_rectification_followed_to_the_end(self):
        rectification = Rectification.objects.get()
        self.assertEqual((rectification.review, rectification.center, rectification.deadline),
                         (self.review, self.p.center_a, date(2026, 12, 17)))
        with self.assertRaises(Conflict):  # steps go in order
            rectification_advance(actor=self.p.manager_a, rectification=rectification, to="rectified", text="加开窗口")
        with self.assertRaises(Forbidden):
            rectification_advance(actor=self.p.manager_b, rectification=rectification, to="called_back", text="已回访")
        with self.assertRaises(Invalid):
            rectification_advance(actor=self.p.manager_a, rectification=rectification, to="called_back", text=" ")
        for to, text in (("called_back", "已电话回访，群众反映高峰期等候40分钟"), ("verified", "核实属实"),
                         ("rectified", "高峰时段增开一个综合窗口"), ("closed", "已向群众反馈整改情况")):
            rectification = rectification_advance(actor=self.p.manager_a, rectification=rectification, to=to, text=text,
                                                  now=at(27))
        self.assertEqual(rectification.status, RectificationStatus.CLOSED)
        self.assertFalse(rectification.overdue(date(2026, 12, 30)))
        self.assertEqual(list(rectification.events.values_list("to_status", flat=True)),
                         ["open", "called_back", "verified", "rectified", "closed"])
        rectification_rate(rectification=rectification, verdict="satisfied")
        with self.assertRaises(Conflict):
            rectification_rate(rectification=rectification, verdict="dissatisfied")

    def test_an_open_rectification_past_its_deadline_is_overdue_and_listed_for_the_bureau(self):
        from servicehall.reviews.selectors import rectifications_for

        rectification = Rectification.objects.get()
        self.assertFalse(rectification.overdue(date(2026, 12, 17)))
        self.assertTrue(rectification.overdue(date(2026, 12, 18)))
        self.assertEqual(list(rectifications_for(self.p.bureau, overdue=True, now=at(26))), [])
        late = datetime(2026, 12, 18, 9, tzinfo=BEIJING)
        self.assertEqual(list(rectifications_for(self.p.bureau, overdue=True, now=late)), [rectification])
        self.assertEqual(list(rectifications_for(self.p.manager_b, overdue=True, now=late)), [])

    def test_the_call_back_number_is_for_the_units_manager_and_each_look_is_audited(self):
        from servicehall.audit.models import AuditEvent

        with self.assertRaises(Forbidden):
            rater_contact(actor=self.p.staff_a, review=self.review)
        self.assertEqual(rater_contact(actor=self.p.manager_a, review=self.review), "13800138000")
        self.assertEqual(AuditEvent.objects.filter(action="review.contact_view").count(), 1)

    def test_an_accepted_appeal_takes_the_review_out_of_the_figures_and_keeps_it(self):
        with self.assertRaises(Forbidden):
            appeal_file(actor=self.p.staff_a, review=self.review, reason="恶意差评")
        appeal = appeal_file(actor=self.p.manager_a, review=self.review, reason="评价人当日未到本中心办事，系误评")
        with self.assertRaises(Conflict):
            appeal_file(actor=self.p.manager_a, review=self.review, reason="再次申诉")
        with self.assertRaises(Forbidden):
            appeal_decide(actor=self.p.manager_a, appeal=appeal, accept=True, reason="同意")
        appeal = appeal_decide(actor=self.p.bureau, appeal=appeal, accept=True, reason="经调取监控核实，系误评")
        self.review.refresh_from_db()
        self.assertEqual((appeal.status, self.review.excluded), (AppealStatus.ACCEPTED, True))
        self.assertIn("监控", self.review.excluded_reason)
        self.assertTrue(Review.objects.filter(pk=self.review.pk).exists())


@unittest.skipUnless(connection.vendor == "postgresql", "threads against one database are tested on PostgreSQL")
@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class ConcurrentReviewTests(TransactionTestCase):
    def test_two_pads_a_qr_code_and_an_sms_link_at_once_leave_one_review(self):
        p = Personas.build()
        ticket = finished_ticket(p, at(26))
        barrier, outcomes = threading.Barrier(4), []

        def submit(channel):
            try:
                barrier.wait(timeout=10)
                review_submit(ticket=ticket, level=1 if channel == 7 else 5, channel=channel, now=at(26, 11))
                outcomes.append("stored")
            except Conflict as exc:
                outcomes.append(exc.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=submit, args=(channel,)) for channel in (4, 4, 3, 7)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        self.assertEqual(sorted(outcomes), ["already_reviewed"] * 3 + ["stored"])
        self.assertEqual(Review.objects.count(), 1)
        review = Review.objects.get()
        self.assertEqual(Rectification.objects.count(), 1 if review.level == 1 else 0)


class FigureTests(PersonaTestCase):
    def test_rates_per_window_and_centre_leave_out_accepted_appeals(self):
        import io

        from openpyxl import load_workbook

        from servicehall.reviews.selectors import review_figures

        levels = [5, 4, 3, 2, 1, 1]
        reviews = []
        for n, level in enumerate(levels):
            ticket = finished_ticket(self.p, at(20, 9 + n))
            reviews.append(review_submit(ticket=ticket, level=level, channel=4, now=at(20, 9 + n)))
        rectification = reviews[3].rectification
        for to in ("called_back", "verified", "rectified", "closed"):
            rectification_advance(actor=self.p.manager_a, rectification=rectification, to=to, text="已办", now=at(23))
        appeal = appeal_file(actor=self.p.manager_a, review=reviews[5], reason="误评")
        appeal_decide(actor=self.p.bureau, appeal=appeal, accept=True, reason="核实误评")
        rows = review_figures(self.p.manager_a, "window", date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 26))
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual((row["total"], row["bad"], row["levels"]), (5, 2, [1, 1, 1, 1, 1]))
        self.assertEqual((row["satisfaction_rate"], row["bad_rate"], row["callback_rate"]), (60.0, 40.0, 50.0))
        self.assertEqual(row["on_time_rate"], 100.0)  # the open one is not yet due
        self.assertEqual(review_figures(self.p.manager_b, "center", date(2026, 11, 1), date(2026, 11, 30),
                                        date(2026, 11, 26)), [])
        self.client.force_login(self.p.bureau)
        page = self.client.get("/reviews/figures/", {"group": "center", "start": "2026-11-01", "end": "2026-11-30"})
        self.assertContains(page, "echarts.min.js")
        self.assertContains(page, self.p.center_a.name)
        book = load_workbook(io.BytesIO(self.client.get("/reviews/figures/", {
            "group": "staff", "start": "2026-11-01", "end": "2026-11-30", "export": "xlsx"}).content))
        sheet = book.active
        self.assertEqual([c.value for c in sheet[2]][:3], ["名称", "评价数", "非常满意"])
        self.assertEqual([c.value for c in sheet[3]][1:4], [5, 1, 1])


class FigureLevelTests(PersonaTestCase):
    """Each level's count under its own heading: unequal counts per level, two centres, compared
    with the database in the table, the chart data and the Excel workbook."""

    COUNTS = {"a": {5: 4, 4: 0, 3: 2, 2: 1, 1: 3}, "b": {5: 1, 4: 3, 3: 0, 2: 2, 1: 0}}

    def test_every_level_is_counted_under_its_own_label(self):
        import io
        import json
        import re

        from django.db.models import Count
        from openpyxl import load_workbook

        hour = 8
        for centre, counts in self.COUNTS.items():
            for level, count in counts.items():
                for _ in range(count):
                    hour += 1
                    when = datetime(2026, 11, 2 + hour // 7, 9 + hour % 7, tzinfo=BEIJING)  # weekdays, open hours
                    review_submit(ticket=finished_ticket(self.p, when, centre), level=level, channel=4, now=when)
        stored = {(r["center__name"], Level(r["level"]).label): r["n"]
                  for r in Review.objects.values("center__name", "level").annotate(n=Count("id"))}
        self.client.force_login(self.p.bureau)
        query = {"group": "center", "start": "2026-11-01", "end": "2026-11-30"}
        page = self.client.get("/reviews/figures/", query)
        header, rows = page.context["columns"], page.context["table"]
        self.assertEqual(len(rows), 2)
        for row in rows:
            for label in Level.labels:
                self.assertEqual(row[header.index(label)], stored.get((row[0], label), 0), (row[0], label))
        chart = json.loads(re.search(r'id="chart-data"[^>]*>(.*?)</script>', page.content.decode()).group(1))
        for name, counts in zip(chart["names"], chart["counts"], strict=True):
            self.assertEqual(dict(zip(chart["levels"], counts, strict=True)),
                             {label: stored.get((name, label), 0) for label in Level.labels})
        workbook = self.client.get("/reviews/figures/", {**query, "export": "xlsx"}).content
        sheet = load_workbook(io.BytesIO(workbook)).active
        values = [[c.value for c in line] for line in sheet.iter_rows(min_row=2)]
        for line in values[1:]:
            for label in Level.labels:
                self.assertEqual(line[values[0].index(label)], stored.get((line[0], label), 0), (line[0], label))
        self.assertEqual(stored[(self.p.center_a.name, "非常不满意")], 3)


class CaseReviewLinkTests(PersonaTestCase):
    def test_the_receipt_carries_the_cases_review_qr_and_the_sms_arrives_on_completion(self):
        from servicehall.lib.sms import LoggingBackend

        item = publish(self.p, item_data("法律援助申请"))
        case = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[item.code], applicant=PERSON,
                           materials=[m for n, m in materials(item).items() if n != "其他说明材料"])
        self.client.force_login(self.p.staff_a)
        self.assertContains(self.client.get(f"/cases/{case.number}/print/receipt/"), 'id="review-qr"')
        page = f"/reviews/c/{case.review_token}/"
        self.assertContains(self.client.get(page), "办结后即可在此评价")
        case_approve(actor=self.p.manager_a, case=case_review(actor=self.p.staff_a, case=case))
        LoggingBackend.sent.clear()
        with self.captureOnCommitCallbacks(execute=True):
            case_complete(actor=self.p.staff_a, case=case)
        self.assertIn(f"{page}?via=sms", LoggingBackend.sent[-1][1])
        self.client.post(f"{page}?via=sms", {"level": "4"})
        review = Review.objects.get()
        self.assertEqual((review.case, review.channel, review.item), (case, 7, item))

    def test_the_correction_of_a_bad_case_review_is_rated_by_sms_link(self):
        from servicehall.lib.sms import LoggingBackend

        item = publish(self.p, item_data("法律援助申请"))
        case = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[item.code], applicant=PERSON,
                           materials=[m for n, m in materials(item).items() if n != "其他说明材料"])
        case_complete(actor=self.p.staff_a, case=case_approve(actor=self.p.manager_a,
                                                              case=case_review(actor=self.p.staff_a, case=case)))
        page = f"/reviews/c/{case.review_token}/"
        self.client.post(page, {"level": "1", "reasons": ["办理时间过长"]})
        rectification = Review.objects.get(case=case).rectification
        self.assertNotContains(self.client.get(page), 'id="rate-correction"')  # not before the reply
        LoggingBackend.sent.clear()
        with self.captureOnCommitCallbacks(execute=True):
            for to in ("called_back", "verified", "rectified"):
                rectification_advance(actor=self.p.manager_a, rectification=rectification, to=to, text="已办")
        self.assertEqual(list(LoggingBackend.sent), [])
        with self.captureOnCommitCallbacks(execute=True):
            rectification_advance(actor=self.p.manager_a, rectification=rectification, to="closed",
                                  text="已压缩审批环节")
        phone, text = LoggingBackend.sent[-1]
        self.assertEqual(phone, PERSON["phone"])
        self.assertIn(f"http://127.0.0.1:8000{page}", text)
        self.assertContains(self.client.get(page), 'id="rate-correction"')
        self.assertRedirects(self.client.post(page, {"verdict": "dissatisfied"}), page)
        self.assertEqual(Rectification.objects.get().rater_verdict, "dissatisfied")
        self.assertContains(self.client.get(page), "您对整改的评价：不满意")
        self.client.post(page, {"verdict": "satisfied"})  # once only
        self.assertEqual(Rectification.objects.get().rater_verdict, "dissatisfied")


class RectificationCalendarTests(PersonaTestCase):
    """Rectification deadlines follow the bureau's calendar as case deadlines do."""

    def bad_review(self, day):
        when = datetime(2026, 12, day, 10, tzinfo=BEIJING)
        return review_submit(ticket=finished_ticket(self.p, when), level=1, channel=4, now=when).rectification

    def test_a_deadline_in_an_unconfirmed_year_is_flagged_and_moved_by_the_calendar_edit(self):
        from servicehall.audit.models import AuditEvent
        from servicehall.workcalendar.services import calendar_day_set, calendar_year_confirm

        early, late, closed = self.bad_review(1), self.bad_review(15), self.bad_review(16)
        self.assertEqual((early.deadline, early.calendar_confirmed), (date(2026, 12, 22), True))
        # 12 working days left in December, then 2027 counted Monday to Friday: 01-01, 01-04, 01-05
        self.assertEqual((late.deadline, late.calendar_confirmed), (date(2027, 1, 5), False))
        for to in ("called_back", "verified", "rectified", "closed"):
            rectification_advance(actor=self.p.manager_a, rectification=closed, to=to, text="已办")
        closed_deadline = closed.deadline
        edit = datetime(2026, 12, 20, 9, tzinfo=BEIJING)
        calendar_day_set(actor=self.p.bureau, day=date(2027, 1, 1), is_workday=False, name="元旦", now=edit)
        for r in (early, late, closed):
            r.refresh_from_db()
        self.assertEqual((late.deadline, late.calendar_confirmed), (date(2027, 1, 6), False))
        self.assertEqual((early.deadline, closed.deadline), (date(2026, 12, 22), closed_deadline))
        moved = late.events.get(note__contains="工作日历调整")
        self.assertEqual((moved.actor, moved.note),
                         (self.p.bureau, "2027年工作日历调整，整改期限由2027-01-05改为2027-01-06"))
        self.assertEqual(AuditEvent.objects.filter(action="rectification.redate").count(), 1)
        calendar_year_confirm(actor=self.p.bureau, year=2027, confirmed=True, now=edit)
        late.refresh_from_db()
        self.assertEqual((late.deadline, late.calendar_confirmed), (date(2027, 1, 6), True))
        self.assertEqual(late.events.filter(note__contains="工作日历调整").count(), 1)  # the date did not move again


class RectificationDutyTests(PersonaTestCase):
    """The clerk whose service was rated badly does not work its rectification: the head does,
    or assigns someone else."""

    def setUp(self):
        from servicehall.accounts.models import Role, User
        from servicehall.org.models import Membership

        self.colleague = User.objects.create_user(username="staff_a2", password="x", role=Role.STAFF, full_name="同事")
        Membership.objects.create(user=self.colleague, center=self.p.center_a)
        when = datetime(2026, 11, 20, 10, tzinfo=BEIJING)
        self.rectification = review_submit(ticket=finished_ticket(self.p, when), level=1, channel=4,
                                           now=when).rectification  # the service of staff_a

    def test_only_the_head_or_whom_the_head_assigns_works_it(self):
        from servicehall.reviews.services import rectification_assign

        r = self.rectification
        own = "被评价的窗口人员不能办理本人服务的差评整改，由中心负责人办理或指派他人"
        for actor, message in ((self.p.staff_a, own), (self.colleague, "该整改由中心负责人办理或指派的办理人办理")):
            with self.assertRaises(Forbidden) as refused:
                rectification_advance(actor=actor, rectification=r, to="called_back", text="已回访")
            self.assertEqual(refused.exception.message, message)
        with self.assertRaises(Invalid):
            rectification_assign(actor=self.p.manager_a, rectification=r, handler=self.p.staff_a)
        with self.assertRaises(Forbidden):
            rectification_assign(actor=self.colleague, rectification=r, handler=self.colleague)
        rectification_assign(actor=self.p.manager_a, rectification=r, handler=self.colleague)
        rectification_advance(actor=self.colleague, rectification=r, to="called_back", text="已电话回访")
        rectification_advance(actor=self.p.manager_a, rectification=r, to="verified", text="核实属实")
        self.assertEqual(Rectification.objects.get().status, RectificationStatus.VERIFIED)
        self.client.force_login(self.p.staff_a)
        page = self.client.get(f"/reviews/rectifications/{r.pk}/")
        self.assertContains(page, "被评价的窗口人员不能办理本人服务的差评整改")
        self.assertNotContains(page, 'id="advance"')
        self.assertContains(page, "1号窗口")

    def test_the_setting_lets_any_clerk_of_the_centre_work_it(self):
        with override_settings(SH_RECTIFICATION_SEPARATE=False):
            rectification_advance(actor=self.p.staff_a, rectification=self.rectification, to="called_back",
                                  text="已回访")
        self.assertEqual(Rectification.objects.get().status, RectificationStatus.CALLED_BACK)

    def test_no_appeal_once_the_centre_has_closed_it(self):
        for to in ("called_back", "verified", "rectified", "closed"):
            rectification_advance(actor=self.p.manager_a, rectification=self.rectification, to=to, text="已办")
        with self.assertRaises(Conflict):
            appeal_file(actor=self.p.manager_a, review=self.rectification.review, reason="误评")
        self.client.force_login(self.p.manager_a)
        page = self.client.get(f"/reviews/rectifications/{self.rectification.pk}/")
        self.assertNotContains(page, "提出申诉")
        self.assertNotContains(page, 'id="assign"')
