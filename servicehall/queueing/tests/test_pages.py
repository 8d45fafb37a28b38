"""The kiosk, slip, status page, terminal and display pages, including scope."""

from servicehall.queueing.models import Ticket, TicketStatus
from servicehall.queueing.services import settings_for
from servicehall.testing import PersonaTestCase

from .test_tickets import categories


class QueuePageTests(PersonaTestCase):
    def setUp(self):
        self.a, self.b = categories(self.p)
        self.settings = settings_for(self.p.center_a)

    def test_kiosk_issues_a_ticket_and_shows_the_slip_with_a_qr_code(self):
        url = f"/queue/kiosk/{self.settings.kiosk_key}/"
        page = self.client.get(url)
        self.assertContains(page, "法律援助")
        bad = self.client.post(url, {"category": "A", "phone": "123"})
        self.assertContains(bad, "手机号码", status_code=400)
        self.assertFalse(Ticket.objects.exists())
        response = self.client.post(url, {"category": "A", "green_channel": "1", "phone": "13800138000"}, follow=True)
        ticket = Ticket.objects.get()
        self.assertTrue(ticket.green_channel)
        self.assertContains(response, "A001")
        self.assertContains(response, "前面还有")
        self.assertContains(response, "<svg")
        self.assertNotContains(response, "13800138000")
        status = self.client.get(f"/queue/t/{ticket.token}/")
        self.assertContains(status, "等候中")
        self.assertEqual(self.client.get("/queue/kiosk/wrong/").status_code, 404)

    def test_terminal_calls_and_finishes_and_keeps_to_its_centre(self):
        self.client.post(f"/queue/kiosk/{self.settings.kiosk_key}/", {"category": "B"})
        self.client.force_login(self.p.staff_a)
        page = self.client.get(f"/queue/window/?window={self.p.window_a.pk}")
        self.assertContains(page, "等候 <span id=\"waiting-total\">1</span> 人", html=False)
        act = f"/queue/window/{self.p.window_a.pk}/act"
        self.client.post(act, {"action": "call-next"})
        ticket = Ticket.objects.get()
        self.assertEqual(ticket.status, TicketStatus.CALLED)
        self.assertContains(self.client.get("/queue/window/"), "B001")
        self.client.post(act, {"action": "finish", "ticket": ticket.pk})
        ticket.refresh_from_db()
        self.assertEqual(ticket.status, TicketStatus.DONE)
        self.client.force_login(self.p.staff_b)
        self.assertEqual(self.client.post(act, {"action": "call-next"}).status_code, 404)
        page = self.client.get(f"/queue/window/?window={self.p.window_a.pk}")
        self.assertContains(page, "请选择您所在的窗口")
        self.client.force_login(self.p.bureau)
        self.assertEqual(self.client.get("/queue/window/").status_code, 403)

    def test_display_and_window_screen_pages_need_the_display_key(self):
        key = self.settings.display_key
        self.assertContains(self.client.get(f"/queue/display/{key}/"), "正在叫号")
        self.assertContains(self.client.get(f"/queue/display/{key}/window/1/"), "1号窗口")
        self.assertEqual(self.client.get(f"/queue/display/{self.settings.kiosk_key}/").status_code, 404)


class BookingPageTests(PersonaTestCase):
    def setUp(self):
        self.a, self.b = categories(self.p)
        settings_for(self.p.center_a)

    def test_a_citizen_books_fixes_a_typo_and_cancels(self):
        from servicehall.queueing.models import Appointment

        from .test_flow import CITIZEN

        self.assertContains(self.client.get("/queue/book/"), self.p.center_a.name)
        url = f"/queue/book/{self.p.center_a.code}/"
        page = self.client.get(url)
        day = page.context["days"][0].isoformat()
        page = self.client.get(url, {"category": "A", "day": day})
        self.assertContains(page, "08:30–09:30")
        form = {"category": "A", "day": day, "slot": "08:30", "holder": CITIZEN[:-1] + "1", "phone": "13800138000"}
        bad = self.client.post(url, form)
        self.assertContains(bad, "证件号码", status_code=400)
        self.assertFalse(Appointment.objects.exists())
        done = self.client.post(url, form | {"holder": CITIZEN})
        code = Appointment.objects.get().code
        self.assertContains(done, code)
        cancelled = self.client.post("/queue/book/cancel/", {"code": code, "holder": CITIZEN})
        self.assertContains(cancelled, "已取消")
