"""The seeded holiday table, the due-date API and the bureau's edits in the browser."""

from datetime import date

from django.test import TransactionTestCase

from servicehall.audit.models import AuditEvent
from servicehall.lib.errors import Forbidden
from servicehall.testing import PersonaTestCase
from servicehall.workcalendar.models import CalendarDay, CalendarYear
from servicehall.workcalendar.selectors import get_calendar
from servicehall.workcalendar.services import calendar_day_set, calendar_year_confirm


class SeededCalendarTests(PersonaTestCase):
    def test_it_seeds_every_year_chinesecalendar_knows(self):
        years = set(CalendarYear.objects.filter(confirmed=True).values_list("year", flat=True))
        self.assertEqual(years, set(range(2004, 2027)))
        self.assertEqual(CalendarDay.objects.get(date=date(2026, 9, 20)).is_workday, True)
        self.assertEqual(CalendarDay.objects.get(date=date(2026, 10, 1)).name, "国庆节")

    def test_it_counts_248_working_days_in_2026(self):
        self.assertEqual(get_calendar().workdays_between(date(2025, 12, 31), date(2026, 12, 31)), 248)


class DueDateApiTests(PersonaTestCase):
    def due(self, start, days):
        return self.client.get("/api/v1/calendar/due-date", {"start": start, "days": days})

    def test_it_answers_the_worked_examples(self):
        for start, days, due in (("2026-09-30", 5, "2026-10-13"), ("2026-09-18", 3, "2026-09-22"),
                                 ("2026-02-13", 1, "2026-02-14"), ("2026-04-03", 1, "2026-04-07")):
            with self.subTest(start=start, days=days):
                self.assertEqual(self.due(start, days).json(),
                                 {"start": start, "days": days, "due": due, "confirmed": True})

    def test_it_flags_a_deadline_in_an_unconfirmed_year(self):
        self.assertEqual(self.due("2026-12-30", 3).json(),
                         {"start": "2026-12-30", "days": 3, "due": "2027-01-04", "confirmed": False})

    def test_it_answers_400_naming_the_field(self):
        for params, field in (({"start": "2026-13-01", "days": 3}, "start"),
                              ({"start": "2026-09-30", "days": -1}, "days"),
                              ({"start": "2026-09-30", "days": "x"}, "days"), ({"days": 3}, "start")):
            with self.subTest(params=params):
                response = self.client.get("/api/v1/calendar/due-date", params)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json()["field"], field)
                self.assertEqual(response.json()["error"], "invalid")

    def test_it_follows_an_edit_by_the_bureau_at_once(self):
        calendar_day_set(actor=self.p.bureau, day=date(2027, 1, 1), is_workday=False, name="元旦")
        calendar_year_confirm(actor=self.p.bureau, year=2027, confirmed=True)
        self.assertEqual(self.due("2026-12-30", 3).json()["due"], "2027-01-05")
        self.assertTrue(self.due("2026-12-30", 3).json()["confirmed"])


class CalendarEditTests(PersonaTestCase):
    def test_it_lets_the_bureau_enter_a_holiday_in_the_browser(self):
        client = self.login(self.p.bureau)
        response = client.post("/calendar/?year=2027", {"date": "2027-02-08", "is_workday": "0", "name": "春节"})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(get_calendar().is_workday(date(2027, 2, 8)))
        self.assertTrue(AuditEvent.objects.filter(action="calendar.day_set", actor_username="bureau").exists())
        self.assertContains(client.get("/calendar/?year=2027"), "春节")

    def test_it_refuses_a_weekday_marked_as_extra_working_day(self):
        response = self.login(self.p.bureau).post("/calendar/",
                                                  {"date": "2027-02-08", "is_workday": "1", "name": "调休"})
        self.assertContains(response, "调休上班日应为周六或周日")
        self.assertFalse(CalendarDay.objects.filter(date=date(2027, 2, 8)).exists())

    def test_it_lets_the_bureau_delete_a_day_and_confirm_a_year(self):
        client = self.login(self.p.bureau)
        self.assertFalse(get_calendar().is_workday(date(2026, 10, 7)))
        client.post("/calendar/days/2026-10-07/delete/")
        self.assertFalse(CalendarDay.objects.filter(date=date(2026, 10, 7)).exists())
        self.assertTrue(get_calendar().is_workday(date(2026, 10, 7)))
        self.assertEqual(client.post("/calendar/days/2026-10-08/delete/").status_code, 404)
        self.assertEqual(client.post("/calendar/days/not-a-date/delete/").status_code, 404)
        client.post("/calendar/years/2027/confirm/", {"confirmed": "1"})
        self.assertTrue(get_calendar().is_confirmed(2027))

    def test_it_shows_the_calendar_read_only_to_others(self):
        for user in (self.p.manager_a, self.p.staff_a, self.p.leader):
            client = self.login(user)
            response = client.get("/calendar/?year=2026")
            self.assertContains(response, "248")
            self.assertNotContains(response, "录入或修改一天")
            client.post("/calendar/", {"date": "2026-10-09", "is_workday": "0", "name": "假"})
            self.assertEqual(client.post("/calendar/days/2026-10-01/delete/").status_code, 403)
        self.assertTrue(get_calendar().is_workday(date(2026, 10, 9)))
        with self.assertRaises(Forbidden):
            calendar_day_set(actor=self.p.manager_a, day=date(2026, 10, 9), is_workday=False, name="假")

    def test_it_computes_a_due_date_on_the_page(self):
        response = self.login(self.p.staff_a).get("/calendar/", {"start": "2026-09-30", "days": 5})
        self.assertContains(response, "2026-10-13")


class CalendarBoundsTests(PersonaTestCase):
    def test_it_refuses_dates_outside_the_calendar_span_naming_the_field(self):
        response = self.client.get("/api/v1/calendar/due-date", {"start": "9999-12-30", "days": 5})
        self.assertEqual((response.status_code, response.json()["field"]), (400, "start"))
        response = self.login(self.p.staff_a).get("/calendar/", {"start": "9999-12-30", "days": 5})
        self.assertContains(response, "起算日应在2000年至2100年之间")
        response = self.login(self.p.bureau).post("/calendar/", {"date": "9999-12-31", "is_workday": "0", "name": "假"})
        self.assertContains(response, "日期应在2000年至2100年之间")
        self.assertFalse(CalendarDay.objects.filter(date__year=9999).exists())


class RevisionMemoryTests(TransactionTestCase):
    """Outside a transaction the calendar's revision comes from per-process memory; an edit's
    commit renews it, and what a transaction reads (perhaps its own edit) is never kept."""

    def setUp(self):
        # The flush before each of these tests empties the revision table, so its numbers start
        # again, which never happens in service: forget what earlier tests kept under them.
        from servicehall.db.caches import CALENDAR_REVISION, CALENDARS

        CALENDARS.clear()
        CALENDAR_REVISION.clear()

    def test_an_edit_is_kept_from_memory_until_its_commit(self):
        from django.db import transaction

        from servicehall.accounts.models import Role, User
        from servicehall.db.caches import CALENDAR_REVISION as REVISION
        from servicehall.workcalendar.selectors import current_revision

        bureau = User.objects.create(username="bureau_rev", role=Role.BUREAU, full_name="营商局")
        before = current_revision()
        self.assertEqual(REVISION.peek("revision"), before)
        with transaction.atomic():
            calendar_day_set(actor=bureau, day=date(2027, 2, 8), is_workday=False, name="春节")
            self.assertEqual(current_revision(), before + 1)  # read in the transaction, not kept
            self.assertEqual(REVISION.peek("revision"), before)
        self.assertIsNone(REVISION.peek("revision"))  # the commit cleared it
        self.assertEqual(current_revision(), before + 1)
        self.assertFalse(get_calendar().is_workday(date(2027, 2, 8)))
        self.assertEqual(REVISION.peek("revision"), before + 1)

    def test_a_calendar_read_inside_a_rolled_back_edit_is_never_served_later(self):
        from django.db import transaction

        from servicehall.accounts.models import Role, User

        bureau = User.objects.create(username="bureau_rb", role=Role.BUREAU, full_name="营商局")

        class Undo(Exception):
            pass

        with self.assertRaises(Undo), transaction.atomic():
            calendar_day_set(actor=bureau, day=date(2027, 2, 8), is_workday=False, name="春节")
            self.assertFalse(get_calendar().is_workday(date(2027, 2, 8)))  # the edit's own view
            raise Undo
        calendar_day_set(actor=bureau, day=date(2027, 2, 9), is_workday=False, name="春节")  # the same revision number
        calendar = get_calendar()
        self.assertEqual((calendar.is_workday(date(2027, 2, 8)), calendar.is_workday(date(2027, 2, 9))), (True, False))
