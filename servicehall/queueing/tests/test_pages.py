"""The kiosk, slip, status page, terminal and display pages, including scope."""

from servicehall.queueing.models import Ticket, TicketStatus
from servicehall.queueing.services import settings_for
from servicehall.testing import PersonaTestCase, during_opening_hours

from .test_tickets import categories


@during_opening_hours
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
        for _ in range(2):
            self.client.post(f"/queue/kiosk/{self.settings.kiosk_key}/", {"category": "B"})
        self.client.post(act, {"action": "call-next"})
        busy = self.client.post(act, {"action": "call-next"}, follow=True)
        self.assertContains(busy, "尚未办理")  # a called, never started ticket is not finished by F1
        self.client.post(act, {"action": "finish-and-next"})  # F8: served without pressing start
        self.assertEqual(dict(Ticket.objects.values_list("number", "status")),
                         {"B001": TicketStatus.DONE, "B002": TicketStatus.DONE, "B003": TicketStatus.CALLED})
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
        self.assertContains(page, "08:30—09:30")
        self.assertContains(page, "11:30—12:00")  # no slot runs through the midday break
        self.assertContains(page, "13:30—14:30")
        self.assertNotContains(page, "12:30")
        form = {"category": "A", "day": day, "slot": "08:30", "holder": CITIZEN[:-1] + "1", "phone": "13800138000"}
        bad = self.client.post(url, form)
        self.assertContains(bad, "证件号码", status_code=400)
        self.assertFalse(Appointment.objects.exists())
        done = self.client.post(url, form | {"holder": CITIZEN})
        code = Appointment.objects.get().code
        self.assertContains(done, code)
        cancelled = self.client.post("/queue/book/cancel/", {"code": code, "holder": CITIZEN})
        self.assertContains(cancelled, "已取消")


class SetupPageTests(PersonaTestCase):
    def test_a_manager_adds_a_category_with_windows_and_changes_the_rules(self):
        from servicehall.audit.models import AuditEvent
        from servicehall.queueing.models import CategoryWindow, QueueSettings, TicketCategory

        url = f"/queue/setup/{self.p.center_a.code}/"
        self.client.force_login(self.p.manager_a)
        self.assertContains(self.client.get(url), "新建业务类别")
        form = {"form": "category", "c-prefix": "c", "c-name": "公证", "c-daily_capacity": "200",
                "c-slot_capacity": "4", "c-avg_minutes": "10", "c-is_active": "on", f"window_{self.p.window_a.pk}": "1",
                f"priority_{self.p.window_a.pk}": "x"}
        bad = self.client.post(url, form)
        self.assertContains(bad, "优先级应为1至9", status_code=400)
        self.assertFalse(TicketCategory.objects.exists())
        self.client.post(url, form | {f"priority_{self.p.window_a.pk}": "2"})
        category = TicketCategory.objects.get(prefix="C")
        self.assertEqual(CategoryWindow.objects.get(category=category).priority, 2)
        duplicate = self.client.post(url, form | {f"priority_{self.p.window_a.pk}": "1"})
        self.assertContains(duplicate, "已有“C”类别", status_code=400)
        wrong = self.client.post(url, {"form": "settings", "s-voice_template": "请{名字}号",
                                       "s-recalls_before_skip": "2", "s-book_min_days": "1", "s-book_max_days": "5",
                                       "s-cancel_hours": "2", "s-slot_minutes": "60", "s-no_show_limit": "3",
                                       "s-no_show_block_days": "30"})
        self.assertContains(wrong, "占位", status_code=400)
        self.client.post(url, {"form": "settings", "s-voice_template": "请{号码}号到{窗口}号窗口",
                               "s-recalls_before_skip": "1", "s-book_min_days": "1", "s-book_max_days": "3",
                               "s-cancel_hours": "2", "s-slot_minutes": "30", "s-no_show_limit": "3",
                               "s-no_show_block_days": "30"})
        settings = QueueSettings.objects.get(center=self.p.center_a)
        self.assertEqual((settings.book_max_days, settings.slot_minutes), (3, 30))
        self.assertTrue(AuditEvent.objects.filter(action="ticket_category.create").exists())
        self.client.force_login(self.p.manager_b)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.client.force_login(self.p.staff_a)
        self.assertEqual(self.client.get(url).status_code, 403)


class KioskHoursTests(PersonaTestCase):
    """The kiosk issues only on working days within the centre's hours, and says why not."""

    def setUp(self):
        self.a, self.b = categories(self.p)
        self.url = f"/queue/kiosk/{settings_for(self.p.center_a).kiosk_key}/"

    def visit(self, moment):
        import time_machine

        with time_machine.travel(moment, tick=False):
            return self.client.get(self.url), self.client.post(self.url, {"category": "A"})

    def test_a_rest_day_and_the_hours_outside_the_centres_are_closed(self):
        from datetime import datetime
        from zoneinfo import ZoneInfo

        def at(day, hour, minute=0):
            return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))

        for moment, says in ((at(6, 10), "今日休息，请于下一个工作日（12月7日）8:30—12:00，13:30—17:00前来取号"),
                             (at(7, 8, 29), "尚未开始办公，8:30开始取号"),
                             (at(7, 17, 0), "今日办公已结束，请于下一个工作日（12月8日）")):
            page, posted = self.visit(moment)
            self.assertContains(page, says)
            self.assertNotContains(page, 'name="category"')
            self.assertContains(posted, says, status_code=400)
        self.assertFalse(Ticket.objects.exists())
        page, posted = self.visit(at(7, 12, 30))  # the midday break: tickets wait for 13:30
        self.assertContains(page, "午休时间，13:30恢复叫号")
        self.assertEqual(posted.status_code, 302)
        page, posted = self.visit(at(7, 8, 30))
        self.assertEqual((posted.status_code, Ticket.objects.count()), (302, 2))

    @during_opening_hours
    def test_an_empty_booking_code_is_asked_for_and_a_bad_id_is_kept_to_correct(self):
        empty = self.client.post(self.url, {"booking_code": ""})
        self.assertContains(empty, "预约码：请输入8位预约码", status_code=400)
        wrong = self.client.post(self.url, {"category": "A", "id_number": "110105194912310021"})
        self.assertContains(wrong, "身份证号码校验位错误", status_code=400)
        self.assertNotContains(wrong, "身份证号码：身份证号码", status_code=400)  # the field named once
        self.assertContains(wrong, 'value="110105194912310021"', status_code=400)  # to correct, not retype
        self.assertFalse(Ticket.objects.exists())
