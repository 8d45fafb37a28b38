"""Ticket numbers, the calling order, the state machine and the day rollover."""

import random
import threading
import unittest
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import TransactionTestCase, override_settings

from servicehall.lib.errors import Conflict, Invalid
from servicehall.org.models import ServiceCenter, Window
from servicehall.queueing.models import CategoryWindow, Ticket, TicketCategory, TicketCounter, TicketEvent, TicketStatus
from servicehall.queueing.selectors import ticket_position
from servicehall.queueing.services import (
    ticket_act,
    ticket_call,
    ticket_call_next,
    ticket_issue,
    ticket_transfer,
    tickets_expire,
    window_queue,
)
from servicehall.testing import FAST_HASHERS, Personas, PersonaTestCase, during_opening_hours, run_together

BEIJING = ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BEIJING)


def categories(p):
    a = TicketCategory.objects.create(center=p.center_a, prefix="A", name="法律援助", daily_capacity=3)
    b = TicketCategory.objects.create(center=p.center_a, prefix="B", name="公证咨询")
    CategoryWindow.objects.create(category=a, window=p.window_a, priority=2)
    CategoryWindow.objects.create(category=b, window=p.window_a, priority=1)
    return a, b


@during_opening_hours
class TicketTests(PersonaTestCase):
    def setUp(self):
        self.a, self.b = categories(self.p)

    def issue(self, prefix="A", when=None, **kwargs):
        return ticket_issue(center=self.p.center_a, prefix=prefix, now=when or at(26, 9), **kwargs)

    def test_a_stale_copy_of_a_transferred_ticket_changes_nothing(self):
        stale = self.issue("A")
        called = ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=at(26, 9, 5))
        ticket_transfer(actor=self.p.staff_a, ticket=called, category=self.b, now=at(26, 9, 6))
        with self.assertRaises(Conflict):
            ticket_act(actor=self.p.staff_a, ticket=stale, action="cancel", now=at(26, 9, 7))
        self.assertEqual(Ticket.objects.get(pk=stale.pk).status, TicketStatus.WAITING)
        self.assertEqual(dict(TicketCounter.objects.values_list("category__prefix", "waiting")), {"A": 0, "B": 1})

    def test_it_numbers_per_category_and_day_and_refuses_past_capacity(self):
        self.assertEqual([self.issue().number for _ in range(3)], ["A001", "A002", "A003"])
        self.assertEqual(self.issue("B").number, "B001")
        with self.assertRaises(Conflict):
            self.issue()
        self.assertEqual(self.issue(when=at(27, 9)).number, "A001")  # a new local day starts again

    def test_it_counts_the_day_in_beijing_time(self):
        ServiceCenter.objects.filter(pk=self.p.center_a.pk).update(opens_at=time(0, 0), closes_at=time(23, 59, 59))
        self.p.center_a.refresh_from_db()  # a round-the-clock centre, to cross midnight
        self.issue(when=at(26, 23, 50))
        self.assertEqual(self.issue(when=at(27, 0, 5)).number, "A001")  # 16:05 UTC on the 26th

    def test_it_refuses_an_unknown_category_and_a_bad_phone(self):
        with self.assertRaises(Invalid) as raised:
            self.issue("Z")
        self.assertEqual(raised.exception.field, "category")
        with self.assertRaises(Invalid) as raised:
            self.issue(phone="12345")
        self.assertEqual(raised.exception.field, "phone")
        self.assertFalse(Ticket.objects.exists())

    def test_it_calls_green_channel_then_window_priority_then_arrival(self):
        first_a = self.issue("A", when=at(26, 9, 0))
        first_b = self.issue("B", when=at(26, 9, 1))
        green = self.issue("A", when=at(26, 9, 2), green_channel=True)
        order = []
        for _ in range(3):
            order.append(ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=at(26, 10)))
            ticket_act(actor=self.p.staff_a, ticket=order[-1], action="finish", now=at(26, 10))
        self.assertEqual(order, [green, first_b, first_a])
        self.assertIsNone(ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=at(26, 10)))
        self.assertEqual((order[0].status, order[0].window, order[0].staff),
                         (TicketStatus.DONE, self.p.window_a, self.p.staff_a))

    def test_it_follows_the_state_machine_and_answers_409_otherwise(self):
        ticket = self.issue()
        with self.assertRaises(Conflict):
            ticket_act(actor=self.p.staff_a, ticket=ticket, action="finish")
        ticket = ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=at(26, 10))
        ticket = ticket_act(actor=self.p.staff_a, ticket=ticket, action="recall")
        self.assertEqual(ticket.recalls, 1)
        ticket = ticket_act(actor=self.p.staff_a, ticket=ticket, action="start")
        ticket = ticket_act(actor=self.p.staff_a, ticket=ticket, action="finish")
        self.assertEqual(ticket.status, TicketStatus.DONE)
        with self.assertRaises(Conflict):
            ticket_act(actor=self.p.staff_a, ticket=ticket, action="skip")
        actions = list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))
        self.assertEqual(actions, ["issue", "call", "recall", "start", "finish"])

    def test_it_expires_yesterdays_waiting_tickets_instead_of_calling_them(self):
        old = self.issue(when=at(26, 16))
        self.assertEqual(tickets_expire(before=at(27, 8).date(), now=at(27, 8)), 1)
        old.refresh_from_db()
        self.assertEqual(old.status, TicketStatus.EXPIRED)
        self.assertIsNone(ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=at(27, 9)))


class CallOrderTests(PersonaTestCase):
    """Call-next finds the first ticket without sorting the backlog (`db.queue.head_sql`); it must
    always agree with the full order that the terminal shows (`window_queue`)."""

    def test_call_next_takes_the_head_of_the_shown_queue_in_every_mix(self):
        a, b = categories(self.p)
        a.daily_capacity = 999
        a.save()
        c = TicketCategory.objects.create(center=self.p.center_a, prefix="C", name="他窗业务")
        other = Window.objects.create(center=self.p.center_a, number=2, name="二号窗口")
        CategoryWindow.objects.create(category=c, window=other, priority=1)
        now = at(26, 10)
        rng = random.Random(4)
        for n in range(1, 121):
            category = rng.choice([a, a, b, b, c])
            in_slot, later_slot = rng.random() < 0.1, rng.random() < 0.05
            slot = (now - timedelta(minutes=20), now + timedelta(minutes=40)) if in_slot else (
                (now + timedelta(hours=1), now + timedelta(hours=2)) if later_slot else (None, None))
            queued = now - timedelta(minutes=rng.randint(1, 90))
            Ticket.objects.create(center=self.p.center_a, category=category, day=now.date(), seq=n, number=f"X{n:03d}",
                                  green_channel=rng.random() < 0.08, slot_start=slot[0], slot_end=slot[1],
                                  target_window=rng.choice([None] * 8 + [self.p.window_a, other]),
                                  issued_at=queued, queued_at=rng.choice([queued, now - timedelta(minutes=45)]))
        calls = 0
        while shown := window_queue(self.p.window_a, now, limit=1):
            called = ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=now, finish_current=True)
            self.assertEqual(called.pk, shown[0].pk, f"call {calls + 1}")
            calls += 1
        self.assertIsNone(ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=now, finish_current=True))
        self.assertGreater(calls, 60)
        left = Ticket.objects.filter(status=TicketStatus.WAITING)
        self.assertTrue(all(t.target_window == other or (t.target_window is None and t.category == c) for t in left))


class WaitingCountTests(PersonaTestCase):
    """The counter's `waiting`, which a new ticket's "people ahead" is read from, against a
    fresh count after a random mix of every action that moves tickets in or out of a queue."""

    def test_the_waiting_count_follows_every_action(self):
        a, b = categories(self.p)
        TicketCategory.objects.filter(pk=a.pk).update(daily_capacity=999)
        other = Window.objects.create(center=self.p.center_a, number=2, name="二号窗口")
        CategoryWindow.objects.create(category=a, window=other, priority=1)
        windows, staff, rng = [self.p.window_a, other], self.p.staff_a, random.Random(11)
        issued = []
        for day in (25, 26):
            if day == 26:
                tickets_expire(before=at(26, 0).date(), now=at(26, 8))
            for step in range(160):
                now = at(day, 9) + timedelta(minutes=step)
                waiting = list(Ticket.objects.filter(day=now.date(), status=TicketStatus.WAITING))
                current = list(Ticket.objects.filter(status__in=[TicketStatus.CALLED, TicketStatus.SERVING]))
                move = rng.random()
                try:
                    if move < 0.45 or not (waiting or current):
                        ticket = ticket_issue(center=self.p.center_a, prefix=rng.choice("AB"),
                                              green_channel=rng.random() < 0.15, now=now)
                        if ticket.ahead_at_issue is not None:  # read by the issuing statement (PostgreSQL)
                            self.assertEqual(ticket.ahead_at_issue, ticket_position(ticket)["waiting_ahead"],
                                             ticket.number)
                        issued.append(ticket)
                    elif move < 0.6:
                        ticket_call_next(actor=staff, window=rng.choice(windows), now=now, finish_current=True)
                    elif move < 0.68 and waiting:
                        ticket_call(actor=staff, window=rng.choice(windows), ticket=rng.choice(waiting), now=now)
                    elif move < 0.76 and waiting:
                        ticket_act(actor=staff, ticket=rng.choice(waiting), action="cancel", now=now)
                    elif move < 0.92 and current:
                        ticket = rng.choice(current)
                        target = {"category": rng.choice([a, b])} if rng.random() < 0.5 else {
                            "window": next(w for w in windows if w.pk != ticket.window_id)}
                        ticket_transfer(actor=staff, ticket=ticket, now=now, **target)
                    elif current:
                        ticket_act(actor=staff, ticket=rng.choice(current), action="start", now=now)
                except Conflict:
                    pass
        self.assertGreater(len(issued), 100)
        self.assertTrue(TicketEvent.objects.filter(action="transfer").exists())
        self.assertTrue(Ticket.objects.filter(status=TicketStatus.EXPIRED).exists())
        for counter in TicketCounter.objects.all():
            fresh = Ticket.objects.filter(category=counter.category, day=counter.day, status=TicketStatus.WAITING,
                                          target_window__isnull=True).count()
            self.assertEqual(counter.waiting, fresh, f"{counter.category.prefix} {counter.day}")
        self.assertGreater(sum(t.green_channel for t in issued), 5)


def one_category_hall(windows: int):
    """A centre whose category A (999 numbers a day) is served by `windows` windows."""
    p = Personas.build()
    a, _ = categories(p)
    TicketCategory.objects.filter(pk=a.pk).update(daily_capacity=999)
    more = [Window.objects.create(center=p.center_a, number=n, name=f"{n}号") for n in range(2, windows + 1)]
    for window in more:
        CategoryWindow.objects.create(category=a, window=window)
    return p, a, [p.window_a, *more]


@unittest.skipUnless(connection.vendor == "postgresql", "threads against one database are tested on PostgreSQL")
@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class ConcurrentQueueTests(TransactionTestCase):
    def test_it_never_duplicates_skips_or_double_calls(self):
        p, a, windows = one_category_hall(4)
        now = at(26, 9)
        called = []

        def issuer():
            for _ in range(25):
                ticket_issue(center=p.center_a, prefix="A", now=now)

        def caller(window):
            for _ in range(40):
                ticket = ticket_call_next(actor=p.staff_a, window=window, now=now + timedelta(minutes=1))
                if ticket is not None:
                    called.append(ticket.pk)
                    ticket_act(actor=p.staff_a, ticket=ticket, action="finish", now=now + timedelta(minutes=1))

        errors = run_together(*[issuer] * 8, *[lambda w=w: caller(w) for w in windows])
        self.assertEqual(errors, [])
        seqs = sorted(Ticket.objects.filter(category=a).values_list("seq", flat=True))
        self.assertEqual(seqs, list(range(1, 201)))
        self.assertEqual(len(called), len(set(called)))
        calls = TicketEvent.objects.filter(action="call").values_list("ticket_id", flat=True)
        self.assertEqual(len(calls), len(set(calls)))

    def test_a_ticket_cancelled_or_called_meanwhile_is_never_claimed(self):
        """Call-next claims its ticket by key alone (the head of the queue is locked while
        waiting): windows calling next race a clerk cancelling waiting tickets and a window
        calling chosen ones. Every ticket's history must still be one unbroken chain (each
        event starts from the status the one before left), and no ticket is called twice."""
        p, a, windows = one_category_hall(6)
        chooser_window = windows.pop()
        now = at(26, 9)
        tickets = [ticket_issue(center=p.center_a, prefix="A", now=now) for _ in range(150)]

        def caller(window):
            for _ in range(40):
                ticket_call_next(actor=p.staff_a, window=window, now=now, finish_current=True)

        def canceller():
            for ticket in tickets[::-3]:  # from the back, to meet the windows midway
                try:
                    ticket_act(actor=p.staff_a, ticket=ticket, action="cancel", now=now)
                except Conflict:
                    pass  # called first: the clerk is told

        def chooser():
            for ticket in tickets[-2::-3]:
                try:
                    ticket_call(actor=p.staff_a, window=chooser_window, ticket=ticket, now=now)
                    ticket_act(actor=p.staff_a, ticket=Ticket.objects.get(pk=ticket.pk), action="finish", now=now)
                except Conflict:
                    pass

        self.assertEqual(run_together(*[lambda w=w: caller(w) for w in windows], canceller, chooser), [])
        cancelled = calls = 0
        for ticket in Ticket.objects.filter(category=a):
            events = list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("action", "from_status",
                                                                                                "to_status"))
            for (_, _, before), (_, after_from, _) in zip(events, events[1:], strict=False):
                self.assertEqual(after_from, before, f"{ticket.number}: {events}")
            self.assertLessEqual([e[0] for e in events].count("call"), 1, f"{ticket.number}: {events}")
            self.assertEqual(events[-1][2], ticket.status)
            cancelled += ticket.status == TicketStatus.CANCELLED
            calls += any(e[0] == "call" for e in events)
        self.assertGreater(cancelled, 0)
        self.assertGreater(calls, 100)


@unittest.skipUnless(connection.vendor == "postgresql", "threads against one database are tested on PostgreSQL")
@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class DoublePressTests(TransactionTestCase):
    def test_presses_of_next_at_once_at_one_window_call_one_ticket(self):
        p = Personas.build()
        a, _ = categories(p)
        TicketCategory.objects.filter(pk=a.pk).update(daily_capacity=999)
        now = at(26, 9)
        for _ in range(30):
            ticket_issue(center=p.center_a, prefix="A", now=now)
        ticket_call_next(actor=p.staff_a, window=p.window_a, now=now)
        for attempt in range(5):
            barrier, answers = threading.Barrier(6), []

            def press(barrier=barrier, answers=answers):
                try:
                    barrier.wait()
                    answers.append(ticket_call_next(actor=p.staff_a, window=p.window_a, now=now, finish_current=True))
                except Conflict as exc:
                    answers.append(exc.code)
                except Exception as exc:  # noqa: BLE001 (reported below)
                    answers.append(exc)
                finally:
                    connection.close()

            threads = [threading.Thread(target=press) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertTrue(all(isinstance(x, Ticket) or x == "window_busy" for x in answers), answers)
            current = Ticket.objects.filter(window=p.window_a, status__in=[TicketStatus.CALLED, TicketStatus.SERVING])
            self.assertEqual(current.count(), 1, f"attempt {attempt}")


class WorkerTaskTests(PersonaTestCase):
    def test_it_declares_the_expiry_step_for_the_background_loop(self):
        from servicehall.lib.registry import app_modules
        from servicehall.queueing.tasks import expire_stale_tickets

        declared = {task.name: task.run for module in app_modules("tasks") for task in module.TASKS}
        self.assertIs(declared["tickets_expire"], expire_stale_tickets)
        a, _ = categories(self.p)
        ticket = ticket_issue(center=self.p.center_a, prefix="A", now=at(26, 16))
        self.assertEqual(expire_stale_tickets(now=at(27, 7)), 1)
        ticket.refresh_from_db()
        self.assertEqual(ticket.status, TicketStatus.EXPIRED)
