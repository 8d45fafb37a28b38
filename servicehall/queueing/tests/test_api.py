"""The queue API: shapes, status codes, kiosk and display keys, and centre scope."""



from servicehall.queueing.api import TicketOut
from servicehall.queueing.models import Ticket, TicketStatus
from servicehall.queueing.services import settings_for
from servicehall.testing import PersonaTestCase, during_opening_hours

from .test_flow import CITIZEN
from .test_tickets import categories


@during_opening_hours
class QueueApiTests(PersonaTestCase):
    def setUp(self):
        self.a, self.b = categories(self.p)
        self.settings = settings_for(self.p.center_a)
        self.code = self.p.center_a.code

    def post(self, url, data=None, **headers):
        return self.client.post(url, data or {}, content_type="application/json", **headers)

    def kiosk(self, data):
        return self.post(f"/api/v1/centers/{self.code}/tickets", data, HTTP_X_KIOSK_KEY=self.settings.kiosk_key)

    def test_a_retry_with_the_same_idempotency_key_gets_the_first_ticket_not_a_second(self):
        url = f"/api/v1/centers/{self.code}/tickets"
        first = self.post(url, {"category": "A"}, HTTP_X_KIOSK_KEY=self.settings.kiosk_key,
                          HTTP_IDEMPOTENCY_KEY="kiosk-1-0001")
        again = self.post(url, {"category": "A"}, HTTP_X_KIOSK_KEY=self.settings.kiosk_key,
                          HTTP_IDEMPOTENCY_KEY="kiosk-1-0001")
        other = self.post(url, {"category": "A"}, HTTP_X_KIOSK_KEY=self.settings.kiosk_key,
                          HTTP_IDEMPOTENCY_KEY="kiosk-1-0002")
        self.assertEqual((first.status_code, again.status_code, other.status_code), (201, 201, 201))
        self.assertEqual(again.json(), first.json())
        self.assertEqual(again["Idempotent-Replayed"], "true")
        self.assertNotEqual(other.json()["number"], first.json()["number"])
        self.assertEqual(Ticket.objects.count(), 2)
        plain = [self.kiosk({"category": "B"}) for _ in range(2)]  # without the header: two tickets
        self.assertEqual(Ticket.objects.count(), 4)
        self.assertNotEqual(plain[0].json()["number"], plain[1].json()["number"])

    def test_the_hot_answers_are_exactly_the_documented_ticket(self):
        """Issuing and call-next send `ticket_out` without ninja's second validation
        (api_schemas.hot_json); they must still be exactly TicketOut, field for field, as the
        schema-validated ticket detail is."""
        issued = self.kiosk({"category": "A", "phone": "13800138000"})
        self.client.force_login(self.p.staff_a)
        shown = self.client.get(f"/api/v1/tickets/{issued.json()['id']}")
        called = self.post(f"/api/v1/windows/{self.p.window_a.pk}/call-next")
        shown_called = self.client.get(f"/api/v1/tickets/{called.json()['id']}")
        self.assertEqual([r.status_code for r in (issued, shown, called, shown_called)], [201, 200, 200, 200])
        for hot, validated in ((issued, shown), (called, shown_called)):
            self.assertEqual(hot["Content-Type"], validated["Content-Type"])
            self.assertEqual(set(hot.json()), set(TicketOut.model_fields))
            TicketOut.model_validate(hot.json())
            self.assertEqual(hot.json(), validated.json())

    def test_a_kiosk_issues_and_a_window_calls_through_the_api(self):
        response = self.kiosk({"category": "A", "green_channel": False, "phone": "13800138000", "appointment": None})
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual({k: body[k] for k in ("number", "category", "status", "waiting_ahead", "phone")},
                         {"number": "A001", "category": "A", "status": "waiting", "waiting_ahead": 0,
                          "phone": "138****8000"})
        self.assertTrue({"id", "issued_at", "estimate_minutes", "status_url"} <= set(body))
        self.client.force_login(self.p.staff_a)
        called = self.post(f"/api/v1/windows/{self.p.window_a.pk}/call-next")
        self.assertEqual((called.status_code, called.json()["status"], called.json()["window"]), (200, "called", 1))
        ticket_id = called.json()["id"]
        self.assertEqual(self.post(f"/api/v1/tickets/{ticket_id}/recall").json()["status"], "called")
        conflict = self.post(f"/api/v1/windows/{self.p.window_a.pk}/call-next")
        self.assertEqual((conflict.status_code, conflict.json()["error"]), (409, "window_busy"))
        self.assertEqual(self.post(f"/api/v1/tickets/{ticket_id}/start").json()["status"], "serving")
        self.assertEqual(self.post(f"/api/v1/tickets/{ticket_id}/finish").json()["status"], "done")
        wrong = self.post(f"/api/v1/tickets/{ticket_id}/skip")
        self.assertEqual((wrong.status_code, set(wrong.json())), (409, {"error", "message", "field"}))
        self.assertEqual(self.post(f"/api/v1/windows/{self.p.window_a.pk}/call-next").status_code, 204)

    def test_the_slip_counts_who_is_ahead_when_it_is_issued(self):
        ahead = [self.kiosk({"category": "B", "green_channel": green}).json()["waiting_ahead"]
                 for green in (False, False, True, False, True)]
        self.assertEqual(ahead, [0, 1, 0, 3, 1])  # green tickets wait only for earlier green ones
        self.kiosk({"category": "A"})
        self.assertEqual(self.kiosk({"category": "A"}).json()["waiting_ahead"], 1)  # per category

    def test_finish_and_call_next_in_one_request_whatever_the_body(self):
        for _ in range(3):
            self.assertEqual(self.kiosk({"category": "A"}).status_code, 201)
        self.client.force_login(self.p.staff_a)
        url = f"/api/v1/windows/{self.p.window_a.pk}/call-next"
        first = self.client.post(url, content_type="application/json").json()  # no body at all
        self.assertEqual(self.post(url).json()["error"], "window_busy")  # the called ticket stays
        second = self.post(url + "?finish_current=true").json()
        third = self.client.post(url + "?finish_current=1", {"note": "x"}).json()  # a form post
        self.assertEqual([first["number"], second["number"], third["number"]], ["A001", "A002", "A003"])
        done = Ticket.objects.filter(number__in=["A001", "A002"]).values_list("status", flat=True)
        self.assertEqual(set(done), {TicketStatus.DONE})
        bad = self.post(url + "?finish_current=maybe")
        self.assertEqual((bad.status_code, bad.json()["field"]), (400, "finish_current"))
        self.assertEqual(Ticket.objects.get(number="A003").status, TicketStatus.CALLED)
        form = self.client.post(f"/api/v1/tickets/{third['id']}/transfer", {"category": "B"})  # a form, not JSON
        self.assertEqual((form.status_code, form.json()["error"]), (400, "invalid"))
        self.assertEqual(Ticket.objects.get(number="A003").status, TicketStatus.CALLED)

    def test_transfer_pause_and_the_categories_list(self):
        self.client.force_login(self.p.staff_a)
        issued = self.post(f"/api/v1/centers/{self.code}/tickets", {"category": "A"})
        self.assertEqual(issued.status_code, 201)
        ticket_id = self.post(f"/api/v1/windows/{self.p.window_a.pk}/call-next").json()["id"]
        both = self.post(f"/api/v1/tickets/{ticket_id}/transfer", {"category": "B", "window": self.p.window_a.pk})
        self.assertEqual((both.status_code, both.json()["field"]), (400, "category"))
        moved = self.post(f"/api/v1/tickets/{ticket_id}/transfer", {"category": "b"})
        self.assertEqual((moved.json()["status"], moved.json()["category"], moved.json()["number"]),
                         ("waiting", "B", "A001"))
        listed = self.client.get(f"/api/v1/centers/{self.code}/categories").json()
        self.assertEqual([(c["prefix"], c["waiting"], c["windows"]) for c in listed], [("A", 0, [1]), ("B", 1, [1])])
        self.assertEqual(self.post(f"/api/v1/windows/{self.p.window_a.pk}/pause", {"paused": True}).json(),
                         {"window": 1, "paused": True})
        paused = self.post(f"/api/v1/windows/{self.p.window_a.pk}/call-next")
        self.assertEqual((paused.status_code, paused.json()["error"]), (409, "window_paused"))

    def test_bad_input_names_the_field_and_changes_nothing(self):
        for data, field in (({"category": "Z"}, "category"), ({"category": "A", "phone": "1234"}, "phone"),
                            ({"category": "A", "id_number": "110105194912310021"}, "id_number"),
                            ({"category": "A", "green_channel": "maybe"}, "green_channel")):
            response = self.kiosk(data)
            self.assertEqual((response.status_code, response.json()["field"]), (400, field), response.content)
            self.assertRegex(response.json()["message"], r"[\u4e00-\u9fff]")
        self.assertFalse(Ticket.objects.exists())

    def test_scope_keys_and_roles(self):
        self.assertEqual(self.post(f"/api/v1/centers/{self.code}/tickets", {"category": "A"}).status_code, 401)
        other_key = settings_for(self.p.center_b).kiosk_key
        wrong = self.post(f"/api/v1/centers/{self.code}/tickets", {"category": "A"}, HTTP_X_KIOSK_KEY=other_key)
        self.assertEqual(wrong.status_code, 404)
        ticket_id = self.kiosk({"category": "A"}).json()["id"]
        self.client.force_login(self.p.staff_b)
        self.assertEqual(self.post(f"/api/v1/windows/{self.p.window_a.pk}/call-next").status_code, 404)
        self.assertEqual(self.post(f"/api/v1/tickets/{ticket_id}/cancel").status_code, 404)
        self.assertEqual(self.client.get(f"/api/v1/tickets/{ticket_id}").status_code, 404)
        self.assertEqual(self.client.get(f"/api/v1/centers/{self.code}/hall").status_code, 404)
        self.client.force_login(self.p.bureau)
        self.assertEqual(self.client.get(f"/api/v1/tickets/{ticket_id}").status_code, 200)
        self.assertEqual(self.post(f"/api/v1/windows/{self.p.window_a.pk}/call-next").status_code, 403)
        self.assertEqual(Ticket.objects.get().status, TicketStatus.WAITING)

    def test_the_hall_document_answers_304_when_unchanged(self):
        url = f"/api/v1/centers/{self.code}/hall"
        self.assertEqual(self.client.get(url).status_code, 401)
        first = self.client.get(url, {"key": self.settings.display_key})
        self.assertEqual(first.status_code, 200)
        self.assertEqual(first.json()["version"], first["ETag"].strip('"'))
        again = self.client.get(url, HTTP_X_DISPLAY_KEY=self.settings.display_key, HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 304)
        self.kiosk({"category": "A"})
        changed = self.client.get(url, HTTP_X_DISPLAY_KEY=self.settings.display_key, HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual((changed.status_code, changed.json()["waiting"][0]["count"]), (200, 1))

    def test_booking_cancelling_and_checking_in(self):
        days = self.client.get(f"/api/v1/centers/{self.code}/appointment-days").json()
        self.assertEqual(len(days), 5)
        slots = self.client.get(f"/api/v1/centers/{self.code}/appointment-slots",
                                {"category": "A", "day": days[0]}).json()
        self.assertEqual(slots[0]["available"], 3)  # 4 a slot, but the category gives 3 numbers a day
        booking = {"category": "A", "day": days[0], "slot": slots[0]["start"][:5], "holder": CITIZEN,
                   "phone": "13800138000"}
        booked = self.post(f"/api/v1/centers/{self.code}/appointments", booking)
        self.assertEqual(booked.status_code, 201, booked.content)
        self.assertEqual(booked.json()["holder"], "110105********002X")
        again = self.post(f"/api/v1/centers/{self.code}/appointments", booking)
        self.assertEqual((again.status_code, again.json()["field"]), (409, "holder"))
        bad = self.post(f"/api/v1/centers/{self.code}/appointments", booking | {"slot": "25:00"})
        self.assertEqual((bad.status_code, bad.json()["field"]), (400, "slot"))
        code = booked.json()["code"]
        early = self.post(f"/api/v1/centers/{self.code}/appointments/check-in", {"code": code},
                          HTTP_X_KIOSK_KEY=self.settings.kiosk_key)
        self.assertEqual(early.status_code, 409)  # not the booked day
        cancelled = self.post(f"/api/v1/appointments/{code}/cancel", {"holder": CITIZEN})
        self.assertEqual(cancelled.json()["status"], "cancelled")  # the first slot is always ≥ 8 hours away


@during_opening_hours
class KeyedCallNextTests(PersonaTestCase):
    """A terminal's call-next with a bearer key goes through the one API path (the whole
    middleware chain, ninja, its auth and handlers), as a browser session's does."""

    def setUp(self):
        self.a, _ = categories(self.p)
        self.url = f"/api/v1/windows/{self.p.window_a.pk}/call-next"
        self.key_a = self.key(self.p.staff_a)

    def key(self, user):
        from servicehall.accounts.services import api_key_create

        return api_key_create(actor=None, user=user, name="叫号终端")[1]

    def call(self, key, query="", **extra):
        return self.client.post(self.url + query, HTTP_AUTHORIZATION=f"Bearer {key}", **extra)

    def issue(self, n):
        settings = settings_for(self.p.center_a)
        for _ in range(n):
            self.client.post(f"/api/v1/centers/{self.p.center_a.code}/tickets", {"category": "A"},
                             content_type="application/json", HTTP_X_KIOSK_KEY=settings.kiosk_key)

    def test_a_keyed_answer_carries_the_same_headers_as_a_sessions(self):
        self.issue(2)
        direct = self.call(self.key_a)
        self.client.force_login(self.p.staff_a)
        through_api = self.client.post(self.url + "?finish_current=1")
        self.client.logout()
        self.assertEqual((direct.status_code, through_api.status_code), (200, 200))
        for header in ("Content-Type", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                       "Cross-Origin-Opener-Policy", "Content-Language", "Vary"):
            self.assertEqual(direct.get(header), through_api.get(header), header)
        self.assertEqual(direct["Content-Length"], str(len(direct.content)))
        busy = self.call(self.key_a)
        self.assertEqual((busy.status_code, busy["X-Frame-Options"]), (409, "DENY"))

    def test_the_keyed_answers_are_the_apis(self):
        self.issue(2)
        called = self.call(self.key_a)
        self.assertEqual(called.status_code, 200, called.content)
        self.assertEqual(set(called.json()), set(TicketOut.model_fields))
        self.client.force_login(self.p.staff_a)
        shown = self.client.get(f"/api/v1/tickets/{called.json()['id']}")
        self.assertEqual(called.json(), shown.json())
        self.client.logout()
        busy = self.call(self.key_a)
        self.assertEqual((busy.status_code, busy.json()["error"], busy.json()["field"]), (409, "window_busy", None))
        second = self.call(self.key_a, "?finish_current=true")
        self.assertEqual((second.status_code, second.json()["number"]), (200, "A002"))
        self.assertEqual(Ticket.objects.get(number="A001").status, TicketStatus.DONE)
        self.assertEqual(self.call(self.key_a, "?finish_current=true").status_code, 204)
        self.assertEqual(Ticket.objects.get(number="A002").status, TicketStatus.DONE)

    def test_bad_flags_keys_and_methods_get_the_apis_answers(self):
        self.issue(1)
        bad_flag = self.call(self.key_a, "?finish_current=maybe")
        self.assertEqual((bad_flag.status_code, bad_flag.json()["field"]), (400, "finish_current"))
        bad_key = self.call("not-a-key")
        self.assertEqual((bad_key.status_code, bad_key.json()["error"]), (401, "not_authenticated"))
        wrong_method = self.client.get(self.url, HTTP_AUTHORIZATION=f"Bearer {self.key_a}")
        self.assertEqual((wrong_method.status_code, wrong_method.json()["error"]), (405, "method_not_allowed"))
        self.assertEqual(self.call(self.key_a, "?finish_current=1").json()["number"], "A001")  # the API's spelling
        spaced = self.call(f" {self.key_a}")  # "Bearer  <key>": ninja reads the key with the space, and refuses it
        self.assertEqual((spaced.status_code, spaced.json()["error"]), (401, "not_authenticated"))

    def test_an_unexpected_error_gets_the_apis_500(self):
        from unittest import mock

        self.issue(1)
        with mock.patch("servicehall.queueing.services.ticket_call_next", side_effect=RuntimeError("boom")), \
                self.assertLogs("servicehall.api", "ERROR"):
            failed = self.call(self.key_a)
        self.assertEqual((failed.status_code, failed.json()["error"]), (500, "server_error"))
        self.assertEqual(failed["Content-Type"], "application/json; charset=utf-8")

    def test_scope_and_role_hold_for_keyed_calls(self):
        self.issue(1)
        other_centre = self.call(self.key(self.p.staff_b))
        self.assertEqual((other_centre.status_code, other_centre.json()["error"]), (404, "not_found"))
        bureau = self.call(self.key(self.p.bureau))
        self.assertEqual((bureau.status_code, bureau.json()["error"]), (403, "forbidden"))
        self.assertEqual(Ticket.objects.get().status, TicketStatus.WAITING)

    def test_a_session_still_needs_its_csrf_token(self):
        from django.test import Client

        self.issue(1)
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.p.staff_a)
        refused = client.post(self.url)
        self.assertEqual(refused.status_code, 403)
        self.assertEqual(Ticket.objects.get().status, TicketStatus.WAITING)
