"""Window operations (call a chosen ticket, transfer, pause, skip after recalls), appointments
and the hall display's state document."""

import json
from datetime import date, time

from django.test import override_settings

from servicehall.audit.models import AuditEvent
from servicehall.lib.errors import Conflict, Invalid, NotFound
from servicehall.org.models import Window
from servicehall.queueing.models import (
    Appointment,
    AppointmentStatus,
    CategoryWindow,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketStatus,
)
from servicehall.queueing.selectors import bookable_days, booking_block_until, hall_state, slots_for, ticket_position
from servicehall.queueing.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointments_mark_no_show,
    queue_settings_update,
    settings_for,
    ticket_act,
    ticket_call,
    ticket_call_next,
    ticket_issue,
    ticket_transfer,
    window_pause,
)
from servicehall.testing import PersonaTestCase, during_opening_hours

from .test_tickets import at, categories

CITIZEN = "11010519491231002X"
OTHER_CITIZEN = "110105198001010016"
COMPANY = "11320000MB151840XJ"


class WindowOperationTests(PersonaTestCase):
    def setUp(self):
        self.a, self.b = categories(self.p)
        self.window_2 = Window.objects.create(center=self.p.center_a, number=2, name="2号")
        CategoryWindow.objects.create(category=self.b, window=self.window_2)

    def issue(self, prefix="A", minute=0, **kwargs):
        return ticket_issue(center=self.p.center_a, prefix=prefix, now=at(26, 9, minute), **kwargs)

    def call(self, window=None, minute=30):
        return ticket_call_next(actor=self.p.staff_a, window=window or self.p.window_a, now=at(26, 9, minute))

    def test_the_next_call_finishes_the_ticket_being_served_but_not_one_never_started(self):
        first, second = self.issue("B", 0), self.issue("B", 1)
        self.call()
        with self.assertRaises(Conflict) as raised:
            self.call()
        self.assertEqual(raised.exception.code, "window_busy")
        ticket_act(actor=self.p.staff_a, ticket=Ticket.objects.get(pk=first.pk), action="start", now=at(26, 9, 31))
        self.assertEqual(self.call(minute=40), second)
        first.refresh_from_db()
        self.assertEqual(first.status, TicketStatus.DONE)

    def test_the_terminal_counts_every_waiting_ticket_and_its_day_tally(self):
        from servicehall.queueing.selectors import window_panel

        for n in range(205):
            self.issue("B", n // 60)
        self.issue("A", 5)
        self.issue("A", 6)
        self.call(window=self.window_2)
        panel = window_panel(self.p.window_a, at(26, 9, 31))
        self.assertEqual(panel["counts"], [(("A", "法律援助"), 2), (("B", "公证咨询"), 204)])
        self.assertEqual((panel["waiting_total"], len(panel["queue"])), (206, 30))
        self.assertEqual(window_panel(self.window_2, at(26, 9, 31))["tally"], {"call": 1})

    def test_a_letter_is_changed_or_reused_only_on_a_day_it_has_not_numbered_a_ticket(self):
        from servicehall.queueing.services import category_save

        ticket = self.issue("A")
        with self.assertRaises(Invalid) as raised:
            category_save(actor=self.p.manager_a, center=self.p.center_a, data={"prefix": "C"}, windows={},
                          category=self.a, now=at(26, 9, 10))
        self.assertEqual((raised.exception.field, TicketCategory.objects.get(pk=self.a.pk).prefix), ("prefix", "A"))
        self.call()
        ticket_transfer(actor=self.p.staff_a, ticket=Ticket.objects.get(pk=ticket.pk), category=self.b,
                        now=at(26, 9, 31))
        # A001 now waits in B; A has no ticket today and may take another letter, but nobody may take A today.
        category_save(actor=self.p.manager_a, center=self.p.center_a, data={"prefix": "C"}, windows={},
                      category=self.a, now=at(26, 9, 32))
        with self.assertRaises(Invalid) as raised:
            category_save(actor=self.p.manager_a, center=self.p.center_a, data={"prefix": "a", "name": "新类别"},
                          windows={}, now=at(26, 9, 33))
        self.assertIn("今日已发出“A”开头的号码", raised.exception.message)
        self.assertFalse(TicketCategory.objects.filter(prefix="A").exists())
        category_save(actor=self.p.manager_a, center=self.p.center_a, data={"prefix": "a", "name": "新类别"},
                      windows={}, now=at(27, 9, 0))

    def test_skip_needs_the_configured_recalls(self):
        self.issue()
        ticket = self.call()
        with self.assertRaises(Conflict) as raised:
            ticket_act(actor=self.p.staff_a, ticket=ticket, action="skip", now=at(26, 9, 31))
        self.assertIn("重呼2次", raised.exception.message)
        for _ in range(2):
            ticket = ticket_act(actor=self.p.staff_a, ticket=ticket, action="recall", now=at(26, 9, 32))
        self.assertEqual(ticket_act(actor=self.p.staff_a, ticket=ticket, action="skip", now=at(26, 9, 33)).status,
                         TicketStatus.SKIPPED)
        queue_settings_update(actor=self.p.manager_a, center=self.p.center_a, data={"recalls_before_skip": 0})
        self.issue()
        ticket = self.call(minute=40)
        self.assertEqual(ticket_act(actor=self.p.staff_a, ticket=ticket, action="skip").status, TicketStatus.SKIPPED)

    def test_transfer_to_a_category_keeps_the_place_in_the_queue(self):
        early_a = self.issue("A", 0)
        self.issue("B", 5)
        self.issue("B", 6)
        self.call()  # window 1 serves B first (priority 1): B001
        ticket = ticket_call_next(actor=self.p.staff_b, window=self.window_2, now=at(26, 9, 31))
        self.assertEqual(ticket.number, "B002")
        ticket_act(actor=self.p.staff_a, ticket=Ticket.objects.get(number="B001"), action="finish", now=at(26, 9, 32))
        with self.assertRaises(Conflict):  # a waiting ticket cannot be transferred
            ticket_transfer(actor=self.p.staff_b, ticket=early_a, category=self.b, now=at(26, 9, 33))
        a_ticket = self.call(minute=34)
        self.assertEqual(a_ticket, early_a)
        later_b = self.issue("B", 35)
        moved = ticket_transfer(actor=self.p.staff_a, ticket=a_ticket, category=self.b, now=at(26, 9, 36))
        self.assertEqual((moved.status, moved.category, moved.number, moved.queued_at),
                         (TicketStatus.WAITING, self.b, "A001", at(26, 9, 0)))
        ticket_act(actor=self.p.staff_b, ticket=ticket, action="finish", now=at(26, 9, 37))
        self.assertEqual(ticket_call_next(actor=self.p.staff_b, window=self.window_2, now=at(26, 9, 38)), moved)
        self.assertEqual(TicketEvent.objects.get(ticket=moved, action="transfer").note, "转至B 公证咨询")
        self.assertEqual(later_b.status, TicketStatus.WAITING)

    def test_transfer_to_a_window_lets_only_that_window_call_it(self):
        self.issue("A")
        ticket = self.call()
        moved = ticket_transfer(actor=self.p.staff_a, ticket=ticket, window=self.window_2, now=at(26, 9, 35))
        self.assertEqual(moved.target_window, self.window_2)
        self.assertIsNone(self.call(minute=36))
        with self.assertRaises(Conflict):  # a waiting ticket is not at a window
            ticket_transfer(actor=self.p.staff_a, ticket=moved, window=self.p.window_a)
        called = ticket_call_next(actor=self.p.staff_b, window=self.window_2, now=at(26, 9, 37))
        self.assertEqual(called, moved)
        with self.assertRaises(Invalid):
            ticket_transfer(actor=self.p.staff_b, ticket=called, window=self.window_2)
        with self.assertRaises(Invalid):
            ticket_transfer(actor=self.p.staff_b, ticket=called, window=self.p.window_b)  # another centre

    def test_calling_a_chosen_ticket_claims_it_once(self):
        wanted = self.issue("B", 3)
        self.assertEqual(ticket_call(actor=self.p.staff_a, window=self.p.window_a, ticket=wanted, now=at(26, 9, 30)),
                         wanted)
        with self.assertRaises(Conflict):
            ticket_call(actor=self.p.staff_b, window=self.window_2, ticket=Ticket.objects.get(pk=wanted.pk),
                        now=at(26, 9, 31))
        with self.assertRaises(NotFound):
            ticket_call(actor=self.p.staff_b, window=self.p.window_b, ticket=wanted, now=at(26, 9, 31))

    def test_a_paused_window_does_not_call_and_the_pause_is_audited(self):
        self.issue("A")
        window_pause(actor=self.p.staff_a, window=self.p.window_a, paused=True, now=at(26, 9, 10))
        with self.assertRaises(Conflict) as raised:
            self.call()
        self.assertEqual(raised.exception.code, "window_paused")
        window_pause(actor=self.p.staff_a, window=self.p.window_a, paused=False, now=at(26, 9, 20))
        self.assertIsNotNone(self.call())
        self.assertEqual(list(AuditEvent.objects.filter(action__startswith="window.").values_list("action", flat=True)
                              .order_by("id")), ["window.pause", "window.resume"])

    def test_position_counts_green_channel_and_earlier_arrivals(self):
        first = self.issue("A", 0)
        second = self.issue("A", 1)
        green = self.issue("A", 2, green_channel=True)
        self.assertEqual(ticket_position(first)["waiting_ahead"], 1)
        self.assertEqual(ticket_position(second), {"waiting_ahead": 2, "estimate_minutes": 16})
        self.assertEqual(ticket_position(green)["waiting_ahead"], 0)

    def test_id_numbers_are_checked_when_issuing(self):
        with self.assertRaises(Invalid) as raised:
            self.issue(id_number="110105194912310021")
        self.assertEqual(raised.exception.field, "id_number")
        self.assertEqual(self.issue(id_number=CITIZEN.lower()).id_number, CITIZEN)


class AppointmentTests(PersonaTestCase):
    def setUp(self):
        self.a, self.b = categories(self.p)
        self.now = at(26, 10)  # Thursday 26 November 2026

    def book(self, holder=CITIZEN, day=date(2026, 11, 27), slot=time(9, 30), now=None, prefix="A"):
        return appointment_book(center=self.p.center_a, prefix=prefix, day=day, slot_start=slot, holder=holder,
                                phone="13800138000", now=now or self.now)

    def test_days_are_the_next_working_days_and_slots_follow_the_hours(self):
        self.assertEqual(bookable_days(self.p.center_a, self.now),
                         [date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2),
                          date(2026, 12, 3)])
        slots = slots_for(self.a, date(2026, 11, 27), self.now)
        self.assertEqual([(s["start"], s["end"]) for s in slots][:2],
                         [(time(8, 30), time(9, 30)), (time(9, 30), time(10, 30))])
        self.assertEqual(slots[-1]["end"], time(17, 0))
        self.assertEqual(slots_for(self.a, date(2026, 11, 28), self.now), [])  # Saturday
        self.assertEqual(slots_for(self.a, date(2026, 12, 4), self.now), [])  # sixth working day

    def test_one_booking_per_holder_day_and_centre_and_a_full_slot_is_refused(self):
        booked = self.book()
        self.assertEqual((len(booked.code), booked.status), (8, AppointmentStatus.BOOKED))
        with self.assertRaises(Conflict) as raised:
            self.book(slot=time(10, 30))
        self.assertEqual(raised.exception.code, "already_booked")
        self.book(holder=COMPANY)
        self.a.slot_capacity = 2
        self.a.save()
        with self.assertRaises(Conflict) as raised:
            self.book(holder=OTHER_CITIZEN)
        self.assertEqual(raised.exception.field, "slot")
        with self.assertRaises(Invalid) as raised:
            self.book(holder="123")
        self.assertEqual(raised.exception.field, "holder")
        with self.assertRaises(Invalid):
            self.book(holder=OTHER_CITIZEN, slot=time(9, 0))
        self.assertEqual(Appointment.objects.count(), 2)

    def test_a_days_bookings_stay_within_the_categorys_numbers(self):
        self.a.daily_capacity = 2
        self.a.save()
        self.book()
        self.book(holder=COMPANY, slot=time(10, 30))
        self.assertEqual({s["available"] for s in slots_for(self.a, date(2026, 11, 27), self.now)}, {0})
        with self.assertRaises(Conflict) as raised:
            self.book(holder=OTHER_CITIZEN, slot=time(14, 30))
        self.assertEqual((raised.exception.field, raised.exception.code), ("slot", "slot_full"))
        self.assertTrue(any(s["available"] for s in slots_for(self.a, date(2026, 11, 30), self.now)))

    def test_cancel_needs_the_holder_and_two_hours(self):
        booked = self.book()
        with self.assertRaises(NotFound):
            appointment_cancel(code=booked.code, holder=OTHER_CITIZEN, now=self.now)
        self.assertEqual(appointment_cancel(code=booked.code, holder=CITIZEN, now=at(26, 11)).status,
                         AppointmentStatus.CANCELLED)
        rebooked = self.book(slot=time(10, 30), now=at(26, 11, 5))  # the day is free again
        with self.assertRaises(Conflict) as raised:
            appointment_cancel(code=rebooked.code, holder=CITIZEN, now=at(27, 8, 31))
        self.assertEqual(raised.exception.code, "too_late")
        self.assertEqual(appointment_cancel(code=rebooked.code, holder=CITIZEN, now=at(27, 8, 30)).status,
                         AppointmentStatus.CANCELLED)

    def test_a_checked_in_booking_goes_before_walk_ins_while_its_slot_runs(self):
        booked = self.book()
        with self.assertRaises(Conflict):
            appointment_check_in(center=self.p.center_a, code=booked.code, now=self.now)  # the day before
        walk_in = ticket_issue(center=self.p.center_a, prefix="A", now=at(27, 9, 0))
        ticket = appointment_check_in(center=self.p.center_a, code=booked.code, now=at(27, 9, 20))
        self.assertEqual((ticket.number, ticket.appointment), ("A002", booked))
        with self.assertRaises(Conflict):
            appointment_check_in(center=self.p.center_a, code=booked.code, now=at(27, 9, 21))
        # Before its slot starts (9:30) the booking waits in arrival order…
        first = ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=at(27, 9, 25))
        self.assertEqual(first, walk_in)
        ticket_act(actor=self.p.staff_a, ticket=first, action="finish", now=at(27, 9, 26))
        later_walk_in = ticket_issue(center=self.p.center_a, prefix="B", now=at(27, 9, 26))
        # …and inside its slot it goes before walk-ins, even of a higher-priority category.
        self.assertEqual(ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=at(27, 9, 35)), ticket)
        self.assertEqual(later_walk_in.status, TicketStatus.WAITING)

    def test_the_slip_of_a_booking_in_its_slot_counts_only_who_is_really_ahead(self):
        TicketCategory.objects.filter(pk=self.a.pk).update(daily_capacity=10)
        walk_in = ticket_issue(center=self.p.center_a, prefix="A", now=at(27, 9, 35))
        booked = appointment_check_in(center=self.p.center_a, code=self.book().code, now=at(27, 9, 40))
        early = appointment_check_in(center=self.p.center_a, code=self.book(holder=COMPANY, slot=time(10, 30)).code,
                                     now=at(27, 9, 41))  # its slot has not started: arrival order
        green = ticket_issue(center=self.p.center_a, prefix="A", green_channel=True, now=at(27, 9, 42))
        now = at(27, 9, 45)
        ahead = {t.number: ticket_position(t, now=now)["waiting_ahead"] for t in (walk_in, booked, early, green)}
        self.assertEqual(ahead, {green.number: 0, booked.number: 1, walk_in.number: 2, early.number: 3})
        order = []
        for _ in range(4):
            order.append(ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=now))
            ticket_act(actor=self.p.staff_a, ticket=order[-1], action="finish", now=now)
        self.assertEqual(order, [green, booked, walk_in, early])  # the same order as the slips said

    @override_settings(SH_BOOKINGS_PER_ID_PER_CATEGORY=3)  # three upcoming bookings, to miss them all
    def test_missed_bookings_become_no_shows_and_repeated_ones_block_booking(self):
        for day in (date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1)):
            self.book(day=day)
        self.assertEqual(appointments_mark_no_show(now=at(27, 10, 29)), 0)
        self.assertEqual(appointments_mark_no_show(now=at(27, 10, 31)), 1)
        self.assertEqual(appointments_mark_no_show(now=at(30, 10, 31)), 1)
        later = at(30, 10, 32)
        self.assertIsNone(booking_block_until(CITIZEN, self.p.center_a, later))
        self.assertEqual(appointments_mark_no_show(now=at(30, 10, 31).replace(month=12, day=1)), 1)
        blocked_at = at(26, 12).replace(month=12, day=2)
        self.assertEqual(booking_block_until(CITIZEN, self.p.center_a, blocked_at), date(2026, 12, 27))
        with self.assertRaises(Conflict) as raised:
            self.book(day=date(2026, 12, 3), now=blocked_at)
        self.assertEqual(raised.exception.code, "booking_blocked")
        self.assertIn("2026年12月27日", raised.exception.message)


def made_up_id(n: int) -> str:
    """A valid citizen ID number (checksum right), as anyone can make them up."""
    from servicehall.lib.identity import citizen_id_check_char

    first17 = f"11010519800101{n:03d}"
    return first17 + citizen_id_check_char(first17)


class AppointmentHoardingTests(PersonaTestCase):
    """Limits per ID number, phone and address, so nobody books a whole day (settings)."""

    def setUp(self):
        for centre, window in ((self.p.center_a, self.p.window_a), (self.p.center_b, self.p.window_b)):
            for prefix, name in (("A", "法律援助"), ("B", "公证咨询")):
                category = TicketCategory.objects.create(center=centre, prefix=prefix, name=name, daily_capacity=100,
                                                         slot_capacity=50)
                CategoryWindow.objects.create(category=category, window=window)
        self.now = at(26, 10)
        self.day = date(2026, 11, 27)

    def book(self, holder=CITIZEN, center=None, prefix="A", day=None, slot=time(9, 30), phone="13800138000",
             source_ip="10.1.1.1", now=None):
        return appointment_book(center=center or self.p.center_a, prefix=prefix, day=day or self.day, slot_start=slot,
                                holder=holder, phone=phone, source_ip=source_ip, now=now or self.now)

    def refusal(self, **kwargs) -> Conflict:
        with self.assertRaises(Conflict) as raised:
            self.book(**kwargs)
        self.assertEqual(raised.exception.code, "booking_limit")
        return raised.exception

    def test_an_id_number_books_at_most_two_a_day_across_centres_and_one_upcoming_per_category(self):
        self.book()
        self.book(center=self.p.center_b)
        with self.settings(SH_BOOKINGS_PER_ID_PER_DAY=1):
            refused = self.refusal(holder=CITIZEN, center=self.p.center_b, day=date(2026, 11, 30))
        refused = self.refusal(prefix="A", day=date(2026, 11, 30))  # an upcoming booking of 综合 is still open
        self.assertEqual(refused.field, "holder")
        self.assertIn("最多保留1个未到期的预约", refused.message)
        self.book(prefix="B", day=date(2026, 11, 30))  # another category is fine
        self.assertEqual(Appointment.objects.filter(holder=CITIZEN).count(), 3)

    def test_a_cancelled_or_past_booking_no_longer_counts(self):
        first = self.book()
        appointment_cancel(code=first.code, holder=CITIZEN, now=self.now)
        self.book(day=date(2026, 11, 30))
        next_morning = at(30, 8).replace(month=12, day=1)  # the 30th is over: its booking holds nothing
        self.book(day=date(2026, 12, 2), now=next_morning)

    def test_a_phone_books_at_most_three_a_day(self):
        for n in range(3):
            self.book(holder=made_up_id(n), source_ip=f"10.0.0.{n}")
        refused = self.refusal(holder=made_up_id(9), source_ip="10.0.0.9")
        self.assertEqual(refused.field, "phone")
        self.book(holder=made_up_id(9), phone="13900139000", source_ip="10.0.0.9")

    def test_an_address_books_at_most_twenty_an_hour(self):
        for n in range(20):
            self.book(holder=made_up_id(n), phone=f"139001390{n:02d}")
        refused = self.refusal(holder=made_up_id(50), phone="13700137000")
        self.assertIn("每小时最多预约20次", refused.message)
        self.book(holder=made_up_id(50), phone="13700137000", source_ip="10.9.9.9")  # another address
        self.book(holder=made_up_id(51), phone="13700137001", now=at(26, 11, 1))  # an hour later

    def test_the_api_refuses_with_the_reason_and_the_field(self):
        body = {"category": "A", "day": "2026-11-27", "slot": "09:30", "holder": CITIZEN, "phone": "13800138000"}
        with self.settings(SH_BOOKINGS_PER_ADDRESS_PER_HOUR=1):
            url = f"/api/v1/centers/{self.p.center_a.code}/appointments"
            import time_machine

            with time_machine.travel(self.now, tick=False):
                first = self.client.post(url, body, content_type="application/json", REMOTE_ADDR="10.7.7.7")
                self.assertEqual(first.status_code, 201, first.content)
                second = self.client.post(url, {**body, "holder": OTHER_CITIZEN, "phone": "13900139000"},
                                          content_type="application/json", REMOTE_ADDR="10.7.7.7")
        self.assertEqual(second.status_code, 409)
        self.assertEqual(second.json()["error"], "booking_limit")
        self.assertIn("同一网络地址每小时最多预约1次", second.json()["message"])
        self.assertEqual(Appointment.objects.get().source_ip, "10.7.7.7")


@during_opening_hours
class HallStateTests(PersonaTestCase):
    def setUp(self):
        self.a, self.b = categories(self.p)
        self.key = settings_for(self.p.center_a).display_key

    def poll(self, etag=None):
        headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
        return self.client.get(f"/queue/display/{self.key}/state", **headers)

    def test_the_polled_document_equals_a_fresh_computation_after_every_action(self):
        from django.utils import timezone

        response = self.poll()
        etag = response["ETag"]
        self.assertEqual(self.poll(etag).status_code, 304)
        now = timezone.now()
        steps = [
            lambda: ticket_issue(center=self.p.center_a, prefix="A", now=now),
            lambda: ticket_issue(center=self.p.center_a, prefix="B", green_channel=True, now=now),
            lambda: ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=now),
            lambda: ticket_act(actor=self.p.staff_a, ticket=Ticket.objects.get(number="B001"), action="recall",
                               now=now),
            lambda: window_pause(actor=self.p.staff_a, window=self.p.window_a, paused=True, now=now),
            lambda: queue_settings_update(actor=self.p.manager_a, center=self.p.center_a,
                                          data={"notice": "今日16:00后暂停受理公证业务",
                                                "voice_template": "请{号码}号到{窗口}号窗口"}),
            lambda: ticket_act(actor=self.p.staff_a, ticket=Ticket.objects.get(number="B001"), action="finish",
                               now=now),
        ]
        for step in steps:
            step()
            response = self.poll(etag)
            self.assertEqual(response.status_code, 200)
            self.assertEqual(json.loads(response.content), hall_state(self.p.center_a, timezone.now()))
            self.assertNotEqual(response["ETag"], etag)
            etag = response["ETag"]
            self.assertEqual(self.poll(etag).status_code, 304)
        state = json.loads(self.poll().content)
        self.assertEqual([c["text"] for c in state["calls"]], ["请B001号到1号窗口", "请B001号到1号窗口"])
        self.assertEqual([c["recall"] for c in state["calls"]], [True, False])
        self.assertEqual(state["notice"], "今日16:00后暂停受理公证业务")
        self.assertEqual(state["windows"][0]["paused"], True)
        self.assertEqual(state["waiting"], [{"category": "A", "name": "法律援助", "count": 1},
                                            {"category": "B", "name": "公证咨询", "count": 0}])

    def test_a_call_committed_after_a_later_event_changes_the_version_and_is_listed(self):
        from servicehall.queueing.selectors import hall_changed

        ticket_issue(center=self.p.center_a, prefix="A")
        ticket_call_next(actor=self.p.staff_a, window=self.p.window_a)
        late = TicketEvent.objects.filter(center=self.p.center_a, action="call").get()
        late_id = late.pk
        # Its transaction has taken the id but not committed yet, and a later event has.
        late.delete()
        ticket_issue(center=self.p.center_a, prefix="B")
        self.assertGreater(TicketEvent.objects.latest("id").pk, late_id)
        first = self.poll()
        self.assertEqual(json.loads(first.content)["calls"], [])
        late.pk = late_id
        late.save(force_insert=True)  # the commit
        hall_changed()
        second = self.poll(first["ETag"])
        self.assertEqual(second.status_code, 200)
        self.assertEqual([c["id"] for c in json.loads(second.content)["calls"]], [late_id])

    def test_a_renamed_or_new_window_and_a_renamed_centre_change_the_document(self):
        first = self.poll()
        window = Window.objects.get(pk=self.p.window_a.pk)
        window.name = "综合受理1号"
        window.save()
        renamed = self.poll(first["ETag"])
        self.assertEqual(renamed.status_code, 200)
        self.assertEqual(json.loads(renamed.content)["windows"][0]["name"], "综合受理1号")
        Window.objects.create(center=self.p.center_a, number=9, name="9号")
        added = self.poll(renamed["ETag"])
        self.assertEqual([w["number"] for w in json.loads(added.content)["windows"]], [1, 9])
        center = self.p.center_a
        center.name = "龙港区行政服务中心新名称分中心"
        center.save()
        self.assertEqual(json.loads(self.poll(added["ETag"]).content)["center"]["name"], center.name)

    def test_an_unknown_key_is_not_found_and_the_document_holds_no_personal_numbers(self):
        self.assertEqual(self.client.get("/queue/display/nope/state").status_code, 404)
        ticket_issue(center=self.p.center_a, prefix="A", phone="13800138000", id_number=CITIZEN)
        body = self.poll().content.decode()
        self.assertNotIn("13800138000", body)
        self.assertNotIn(CITIZEN, body)
