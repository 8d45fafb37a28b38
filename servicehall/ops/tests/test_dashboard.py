"""The bureau's and leadership's home: per-centre figures that agree with the records, each
number a link to its list."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from servicehall.cases.services import case_submit
from servicehall.cases.tests.helpers import PERSON, item_data, materials, publish
from servicehall.ops.selectors import centre_dashboard
from servicehall.queueing.models import CategoryWindow, TicketCategory
from servicehall.queueing.services import ticket_act, ticket_call_next, ticket_issue
from servicehall.reviews.services import review_submit
from servicehall.testing import PersonaTestCase

BEIJING = ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BEIJING)


class DashboardTests(PersonaTestCase):
    def setUp(self):
        for center, window in ((self.p.center_a, self.p.window_a), (self.p.center_b, self.p.window_b)):
            category = TicketCategory.objects.create(center=center, prefix="A", name="综合", daily_capacity=50)
            CategoryWindow.objects.create(category=category, window=window)

    def serve(self, center, window, staff, issued, called, level=None):
        ticket_issue(center=center, prefix="A", now=issued)
        ticket = ticket_call_next(actor=staff, window=window, now=called)
        if level is not None:
            ticket = ticket_act(actor=staff, ticket=ticket, action="finish", now=called + timedelta(minutes=5))
            review_submit(ticket=ticket, level=level, channel=4, now=called + timedelta(minutes=6))

    def test_the_figures_agree_with_the_records_per_centre_and_in_total(self):
        p = self.p
        # A: waits of 10 and 20 minutes, one still waiting, reviews 5/4/1 (one bad); B: a 30-minute wait, one 5.
        self.serve(p.center_a, p.window_a, p.staff_a, at(26, 9), at(26, 9, 10), level=5)
        self.serve(p.center_a, p.window_a, p.staff_a, at(26, 9, 5), at(26, 9, 25), level=1)
        self.serve(p.center_a, p.window_a, p.staff_a, at(26, 9, 6), at(26, 9, 40), level=4)
        ticket_issue(center=p.center_a, prefix="A", now=at(26, 9, 50))
        self.serve(p.center_b, p.window_b, p.staff_b, at(26, 10), at(26, 10, 30), level=5)
        item = publish(p, item_data("法律援助申请"))
        case_submit(actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON,
                    materials=list(materials(item).values()), now=at(2, 10))  # due 11-09: red on 11-26
        rows, total = centre_dashboard(p.bureau, at(26, 11))
        by_code = {r.center.code: r for r in rows}
        a, b = by_code[p.center_a.code], by_code[p.center_b.code]
        self.assertEqual((a.tickets, a.waiting, a.mean_wait, a.reviews, a.bad, a.satisfaction, a.red, a.overdue),
                         (4, 1, 21, 3, 1, 66.7, 1, 0))  # (10 + 20 + 34) / 3 minutes
        self.assertEqual((b.tickets, b.waiting, b.mean_wait, b.reviews, b.satisfaction, b.red),
                         (1, 0, 30, 1, 100.0, 0))
        self.assertEqual((total.tickets, total.reviews, total.bad, total.red, total.mean_wait), (5, 4, 1, 1, 24))
        self.assertNotIn(p.other_center.code, by_code)  # another district's centre is not the bureau's
        self.assertEqual(centre_dashboard(p.manager_b, at(26, 11))[1].tickets, 1)

    def test_every_number_links_to_its_list_and_leadership_reads_it_too(self):
        with time_machine.travel(at(26, 11), tick=False):
            self.serve(self.p.center_a, self.p.window_a, self.p.staff_a, at(26, 9), at(26, 9, 10), level=1)
            for user in (self.p.bureau, self.p.leader):
                self.client.force_login(user)
                page = self.client.get("/")
                self.assertContains(page, "/reviews/rectifications/?overdue=1")
                self.assertContains(page, "/cases/?light=red")
                self.assertContains(page, "本月满意率")
                self.assertContains(page, "chart-dashboard")
            self.assertNotContains(page, "/reviews/appeals/")  # leadership does not decide appeals
