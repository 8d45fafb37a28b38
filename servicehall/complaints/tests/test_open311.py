"""Open311 GeoReport v2 at /open311/v2/: every answer validated against Open311's own JSON
Schemas (open311_schemas/, their source in its README), read by the PyPI client `georeport`
against a live server, filed with a key from create_api_key; what the public reads carries no
personal data, no misconduct report and nothing the bureau took because it names the manager."""

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import jsonschema_rs
import requests as http
import time_machine
from django.core.management import call_command
from django.test import LiveServerTestCase, override_settings
from django.utils import timezone
from georeport import GeoReport

from servicehall.accounts.services import api_key_create, api_key_revoke
from servicehall.audit.models import AuditEvent
from servicehall.complaints.models import Channel, Complaint, Handler, Kind, Status
from servicehall.complaints.services import (
    complaint_accept,
    complaint_file,
    complaint_rate,
    complaint_refuse,
    complaint_reply,
    complaint_resolve,
    complaint_sign,
    query_code_hash,
)
from servicehall.org.models import ServiceCenter, Staff
from servicehall.testing import FAST_HASHERS, WORKING_MORNING, Personas, PersonaTestCase, during_opening_hours

SCHEMAS = Path(__file__).resolve().parent / "open311_schemas"
KINDS = ["complaint", "suggestion", "opinion", "praise"]
# What a complainant wrote and who they are: never in a public answer.
PRIVATE = ["赵先生", "13812345678", "窗口工作人员态度生硬", "身份证号210102199001011234", "钱女士", "13900001111"]


def _schema(name: str):
    def retrieve(uri: str):
        return json.loads((SCHEMAS / uri.rsplit("/", 1)[-1]).read_text(encoding="utf-8"))

    return jsonschema_rs.Draft4Validator(json.loads((SCHEMAS / name).read_text(encoding="utf-8")),
                                         validate_formats=True, retriever=retrieve, base_uri=SCHEMAS.as_uri() + "/")


VALIDATORS = {name: _schema(name) for name in ("services.json", "service-definition.json", "requests.json")}


def assert_valid(test, schema: str, data):
    """The answer is what Open311's schema says (and not vacuously: the lists are not empty)."""
    test.assertEqual([f"{e.instance_path}: {e.message}" for e in VALIDATORS[schema].iter_errors(data)], [])
    test.assertTrue(data)


def key_from_command(username: str) -> str:
    """A key as an operator makes one: the command prints it as its last line."""
    out = io.StringIO()
    call_command("create_api_key", username, "--name", "Open311", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def file_at_window(p, center=None, kind="complaint", ago=timedelta(0), **extra):
    extra.setdefault("title", "窗口工作人员态度生硬")
    extra.setdefault("content", "上午在1号窗口办理时，工作人员不耐烦。我的身份证号210102199001011234。")
    extra.setdefault("name", "赵先生")
    extra.setdefault("phone", "13812345678")
    complaint, _ = complaint_file(actor=extra.pop("actor", p.staff_a), channel="window", kind=kind,
                                  center=center or p.center_a, now=timezone.now() - ago, **extra)
    return complaint


@time_machine.travel(WORKING_MORNING, tick=False)  # a working morning, the clock stopped: exact times
class Open311Tests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.key = key_from_command("bureau")

    def get(self, path: str, **params):
        return self.client.get(f"/open311/v2/{path}", params)

    def post(self, **data):
        data.setdefault("api_key", self.key)
        return self.client.post("/open311/v2/requests.json", data)

    def assertRefused(self, response, status: int, *words: str):
        self.assertEqual(response.status_code, status, response.content.decode())
        self.assertEqual(response["Content-Type"], "application/json; charset=utf-8")
        [error] = response.json()
        self.assertEqual(error["code"], status)
        for word in words:
            self.assertIn(word, error["description"])

    def test_services_are_the_public_kinds_times_the_active_centres(self):
        ServiceCenter.objects.filter(pk=self.p.center_b.pk).update(is_active=False)
        response = self.get("services.json")
        self.assertEqual(response.status_code, 200)
        assert_valid(self, "services.json", response.json())
        centres = [self.p.other_center, self.p.main, self.p.center_a]  # by district, then code
        self.assertEqual([s["service_code"] for s in response.json()],
                         [f"{c.code}-{kind}" for c in centres for kind in KINDS])
        first = next(s for s in response.json() if s["service_code"] == "21140301-complaint")
        self.assertEqual(first, {
            "service_code": "21140301-complaint", "service_name": "公共法律服务分中心 · 投诉",
            "description": "对龙港区行政服务中心公共法律服务分中心的投诉，自收到之日起10个工作日内办结",
            "metadata": False, "type": "realtime", "keywords": "投诉,公共法律服务分中心,龙港区",
            "group": "龙港区行政服务中心公共法律服务分中心"})
        self.assertNotIn("misconduct", response.content.decode())
        self.assertEqual(response["Access-Control-Allow-Origin"], "*")
        # One jurisdiction (a district's code), or a refusal naming the unknown one.
        codes = [s["service_code"] for s in self.get("services.json", jurisdiction_id="211402").json()]
        self.assertEqual(codes, [f"21140200-{kind}" for kind in KINDS])
        self.assertRefused(self.get("services.json", jurisdiction_id="999999"), 404, "jurisdiction_id", "999999")

    def test_a_service_definition_has_no_attributes_and_an_unknown_code_is_named(self):
        response = self.get("services/21140301-suggestion.json")
        self.assertEqual(response.status_code, 200)
        assert_valid(self, "service-definition.json", response.json())
        self.assertEqual(response.json(), {"service_code": "21140301-suggestion", "attributes": []})
        self.assertRefused(self.get("services/21140399-complaint.json"), 404, "service_code", "21140399-complaint")
        self.assertRefused(self.get("services/21140301-misconduct.json"), 404, "举报违规违纪")
        self.assertRefused(self.get("services/21140301.json"), 404, "21140301")

    def test_a_client_files_with_its_key_and_follows_the_number(self):
        description = "周二上午排队两个小时\n叫号系统故障，工作人员没有说明原因。"
        response = self.post(service_code="21140301-complaint", description=description, first_name="三",
                             last_name="张", phone="13700001234", email="zhang@example.com", lat="40.7",
                             long="120.8", address_string="龙港区")
        self.assertEqual(response.status_code, 200, response.content.decode())
        [answer] = response.json()
        complaint = Complaint.objects.get()
        self.assertEqual((answer["service_request_id"], answer["account_id"]), (complaint.number, None))
        self.assertRegex(complaint.number, r"^TS20261126[0-9]{6}$")
        self.assertEqual((complaint.channel, complaint.kind, complaint.center, complaint.handler, complaint.filed_by),
                         (Channel.WEB, Kind.COMPLAINT, self.p.center_a, Handler.CENTRE, None))
        self.assertEqual((complaint.title, complaint.content, complaint.name, complaint.phone, complaint.anonymous),
                         ("周二上午排队两个小时", description, "张三", "13700001234", False))
        code = re.search(r"查询码(\d{6})", answer["service_notice"]).group(1)
        self.assertEqual(complaint.query_code_hash, query_code_hash(complaint.number, code))
        self.assertIn("2026年12月10日前办结", answer["service_notice"])
        self.assertIn("http://testserver/complaints/status/", answer["service_notice"])
        audit = AuditEvent.objects.get(action="complaint.open311_file")
        self.assertEqual((audit.actor_username, audit.object_id), ("bureau", str(complaint.pk)))

        one = self.get(f"requests/{complaint.number}.json")
        assert_valid(self, "requests.json", one.json())
        self.assertEqual(one.json(), [{
            "service_request_id": complaint.number, "status": "open", "status_notes": "待签收",
            "service_name": "公共法律服务分中心 · 投诉", "service_code": "21140301-complaint", "description": None,
            "agency_responsible": "龙港区行政服务中心公共法律服务分中心",
            "requested_datetime": "2026-11-26T10:00:00+08:00", "updated_datetime": "2026-11-26T10:00:00+08:00",
            "expected_datetime": "2026-12-10T23:59:59+08:00", "address": "龙港区行政服务中心公共法律服务分中心"}])
        self.assertEqual(self.get(f"tokens/{complaint.number}.json").json(),
                         [{"service_request_id": complaint.number, "token": complaint.number}])
        # Neither name nor phone: filed anonymously; a long first line is cut for the title.
        self.assertEqual(self.post(service_code="21140302-suggestion", description="建" * 80).status_code, 200)
        suggestion = Complaint.objects.get(kind="suggestion")
        self.assertEqual((suggestion.anonymous, suggestion.title, suggestion.center),
                         (True, "建" * 49 + "…", self.p.center_b))

    def test_a_bad_key_is_403_and_a_bad_field_400_naming_it_and_nothing_is_filed(self):
        fields = {"service_code": "21140301-complaint", "description": "等候时间过长"}
        self.assertRefused(self.post(api_key="", **fields), 403, "api_key")
        self.assertRefused(self.post(api_key="sh_not-a-key", **fields), 403, "api_key")
        other, raw = api_key_create(actor=None, user=self.p.staff_a)
        api_key_revoke(actor=None, key=other)
        self.assertRefused(self.post(api_key=raw, **fields), 403, "api_key")
        self.assertRefused(self.post(service_code="21140399-complaint", description="x"), 400,
                           "service_code", "21140399-complaint")
        self.assertRefused(self.post(service_code="", description="x"), 400, "service_code")
        self.assertRefused(self.post(service_code="21140301-misconduct", description="x"), 400, "举报违规违纪",
                           "http://testserver/complaints/public/21140301/")
        ServiceCenter.objects.filter(pk=self.p.center_b.pk).update(is_active=False)
        self.assertRefused(self.post(service_code="21140302-complaint", description="x"), 400, "21140302-complaint")
        self.assertRefused(self.post(service_code="21140301-complaint", description=" "), 400, "description")
        self.assertRefused(self.post(service_code="21140301-complaint", description="x" * 5001), 400, "description")
        self.assertRefused(self.post(phone="1380000", **fields), 400, "联系电话", "phone")
        self.assertRefused(self.post(first_name="名" * 30, last_name="姓" * 30, **fields), 400, "first_name")
        self.assertRefused(self.post(jurisdiction_id="211402", **fields), 400, "service_code")
        self.assertEqual(Complaint.objects.count(), 0)

    def test_the_public_list_has_no_personal_data_no_misconduct_and_nothing_about_the_manager(self):
        shown = file_at_window(self.p)
        anonymous_web, _ = complaint_file(actor=None, channel="web", kind="opinion", center=self.p.center_b,
                                          title="钱女士的意见", content="请联系13900001111", anonymous=True)
        misconduct = file_at_window(self.p, kind="misconduct", title="工作人员索要好处费", name="钱女士",
                                    phone="13900001111")
        manager = Staff.objects.create(center=self.p.center_a, user=self.p.manager_a, name="何明", employee_no="009")
        about_manager = file_at_window(self.p, staff=manager.pk)
        self.assertEqual((misconduct.handler, about_manager.handler), (Handler.BUREAU, Handler.BUREAU))

        response = self.get("requests.json")
        assert_valid(self, "requests.json", response.json())
        self.assertEqual([r["service_request_id"] for r in response.json()], [anonymous_web.number, shown.number])
        body = response.content.decode()
        for word in PRIVATE + ["何明", misconduct.number, about_manager.number, "misconduct", "好处费"]:
            self.assertNotIn(word, body)
        for hidden in (misconduct, about_manager):
            with self.subTest(number=hidden.number):
                self.assertRefused(self.get(f"requests/{hidden.number}.json"), 404, hidden.number)
                self.assertRefused(self.get(f"tokens/{hidden.number}.json"), 404, hidden.number)
                self.assertEqual(self.get("requests.json", service_request_id=hidden.number).json(), [])
        self.assertRefused(self.get("requests/TS209901010001.json"), 404, "TS209901010001")
        one = self.get(f"requests/{shown.number}.json").content.decode()
        for word in PRIVATE:
            self.assertNotIn(word, one)

    def test_filters_status_dates_service_code_and_numbers(self):
        a = file_at_window(self.p, ago=timedelta(days=2))
        b = file_at_window(self.p, center=self.p.center_b, actor=self.p.staff_b, kind="suggestion",
                           ago=timedelta(days=1))
        old = file_at_window(self.p, ago=timedelta(days=100))
        b = complaint_sign(actor=self.p.manager_b, complaint=b)
        complaint_refuse(actor=self.p.manager_b, complaint=b, ground="outside", reason="不属于政务服务")

        def listed(**params):
            response = self.get("requests.json", **params)
            self.assertEqual(response.status_code, 200, response.content.decode())
            if response.json():
                assert_valid(self, "requests.json", response.json())
            return [r["service_request_id"] for r in response.json()]

        self.assertEqual(listed(), [b.number, a.number])  # the latest 90 days, newest first
        self.assertEqual(listed(status="open"), [a.number])
        self.assertEqual(listed(status="closed"), [b.number])
        self.assertEqual(listed(status="open,closed"), [b.number, a.number])
        closed = self.get("requests.json", status="closed").json()[0]
        self.assertEqual((closed["status_notes"], closed["expected_datetime"]),
                         ("不予受理：不属于政务服务范围", None))
        self.assertEqual(closed["updated_datetime"], "2026-11-26T10:00:00+08:00")
        self.assertEqual(listed(service_code="21140302-suggestion"), [b.number])
        self.assertEqual(listed(service_code="21140301-complaint,21140302-suggestion"), [b.number, a.number])
        self.assertEqual(listed(service_code="21140301-praise"), [])
        self.assertEqual(listed(start_date="2026-08-01T00:00:00+08:00", end_date="2026-08-31T00:00:00+08:00"),
                         [old.number])
        self.assertEqual(listed(start_date="2026-11-24T10:00:00+08:00", end_date="2026-11-24"), [a.number])
        self.assertEqual(listed(start_date="2026-11-25T01:00:00Z"), [b.number])  # 09:00 Beijing time
        self.assertEqual(listed(end_date="2026-11-24T12:00:00"), [a.number])  # the 90 days before it
        self.assertEqual(listed(service_request_id=f"{old.number},{a.number.lower()}", status="closed"),
                         [a.number, old.number])
        self.assertEqual(listed(jurisdiction_id="211402"), [])
        self.assertRefused(self.get("requests.json", status="pending"), 400, "status")
        self.assertRefused(self.get("requests.json", start_date="2026/11/01"), 400, "start_date")
        self.assertRefused(self.get("requests.json", start_date="2026-01-01", end_date="2026-11-01"), 400, "90天")
        self.assertRefused(self.get("requests.json", start_date="2026-11-02", end_date="2026-11-01"), 400,
                           "start_date")
        self.assertRefused(self.get("requests.json", service_code="21140301-misconduct"), 400, "举报违规违纪")
        self.assertRefused(self.get("requests.json", service_code="nope"), 400, "nope")
        self.assertRefused(self.get("requests.json", end_date="0001-01-01T00:00:00+08:00"), 400, "end_date")
        self.assertRefused(self.get("requests.json", start_date="9999-12-31"), 400, "start_date")
        self.assertRefused(self.get("requests.json", service_code=",".join(["21140301-complaint"] * 101)), 400,
                           "service_code")

    def test_a_complaint_escalated_to_the_bureau_stays_listed_with_the_bureau_responsible(self):
        complaint = file_at_window(self.p)
        manager = self.p.manager_a
        for _ in range(2):
            if complaint.status == Status.RECEIVED:
                complaint = complaint_sign(actor=manager, complaint=complaint)
                complaint = complaint_accept(actor=manager, complaint=complaint)
            complaint = complaint_resolve(actor=manager, complaint=complaint, finding="upheld", resolution="已整改")
            complaint = complaint_reply(actor=manager, complaint=complaint, method="sms", reply="已整改")
            complaint = complaint_rate(actor=None, complaint=complaint, satisfaction="dissatisfied")
        self.assertEqual((complaint.handler, complaint.reopened), (Handler.BUREAU, 2))
        [shown] = self.get(f"requests/{complaint.number}.json").json()
        self.assertEqual((shown["status"], shown["agency_responsible"]), ("open", "龙港区营商局"))

    def test_nothing_of_a_centre_is_altered_through_open311(self):
        theirs = file_at_window(self.p)
        before = Complaint.objects.values().get(pk=theirs.pk)
        staff_b_key = key_from_command("staff_b")
        # Whatever it says, a POST files a new complaint (here, about centre A) and changes no other.
        response = self.post(api_key=staff_b_key, service_code="21140301-complaint", description="补充说明",
                             service_request_id=theirs.number, status="closed", token=theirs.number)
        self.assertEqual(response.status_code, 200)
        self.assertNotEqual(response.json()[0]["service_request_id"], theirs.number)
        for method in ("post", "put", "patch", "delete"):
            with self.subTest(method=method):
                answer = getattr(self.client, method)(f"/open311/v2/requests/{theirs.number}.json",
                                                      {"api_key": staff_b_key, "status": "closed"})
                self.assertRefused(answer, 405, method.upper())
                self.assertEqual(answer["Allow"], "GET, HEAD")
        self.assertRefused(self.client.delete("/open311/v2/requests.json"), 405)
        self.assertRefused(self.client.post("/open311/v2/services.json", {"api_key": staff_b_key}), 405)
        self.assertEqual(Complaint.objects.values().get(pk=theirs.pk), before)
        self.assertEqual(Complaint.objects.count(), 2)

    def test_xml_is_refused_pointing_at_json(self):
        self.assertRefused(self.get("services.xml"), 400, "services.json")
        self.assertRefused(self.get("requests/TS202611260001.xml"), 400, "requests/TS202611260001.json")


@during_opening_hours
@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class GeoReportClientTests(LiveServerTestCase):
    """The PyPI client `georeport` reads the live server as it reads a city's 311 endpoint."""

    def setUp(self):
        self.p = Personas.build()
        self.key = key_from_command("bureau")
        self.root = f"{self.live_server_url}/open311/v2"
        self.earlier = file_at_window(self.p, ago=timedelta(days=3))
        refused = file_at_window(self.p, ago=timedelta(days=2))
        refused = complaint_sign(actor=self.p.manager_a, complaint=refused)
        self.refused = complaint_refuse(actor=self.p.manager_a, complaint=refused, ground="outside", reason="x")
        self.misconduct = file_at_window(self.p, kind="misconduct", ago=timedelta(days=1))

    def test_services_one_service_requests_with_filters_and_one_request(self):
        # Filed over real HTTP (the client reads only): no session, no CSRF token, just the key.
        filed = http.post(f"{self.root}/requests.json", data={
            "api_key": self.key, "service_code": "21140302-praise", "description": "窗口服务热情周到",
            "first_name": "四", "last_name": "李", "phone": "13600001234"}, timeout=10)
        self.assertEqual(filed.status_code, 200, filed.text)
        number = filed.json()[0]["service_request_id"]

        client = GeoReport(self.root)
        services = client.get_service_list()
        assert_valid(self, "services.json", services)
        self.assertIn("21140302-praise", {s["service_code"] for s in services})
        definition = client.get_service_definition("21140302-praise")
        assert_valid(self, "service-definition.json", definition)

        everything = client.get_service_requests()
        assert_valid(self, "requests.json", everything)
        self.assertEqual([r["service_request_id"] for r in everything],
                         [number, self.refused.number, self.earlier.number])
        open_ones = client.get_service_requests(status="open", service_code="21140301-complaint,21140302-praise",
                                                start_date=(timezone.now() - timedelta(days=5)).isoformat(),
                                                end_date=timezone.now().isoformat())
        assert_valid(self, "requests.json", open_ones)
        self.assertEqual([r["service_request_id"] for r in open_ones], [number, self.earlier.number])
        closed = client.get_service_requests(status="closed")
        self.assertEqual([(r["service_request_id"], r["status"]) for r in closed], [(self.refused.number, "closed")])
        by_number = client.get_service_requests(service_request_id=f"{self.earlier.number},{self.misconduct.number}")
        self.assertEqual([r["service_request_id"] for r in by_number], [self.earlier.number])

        one = client.get_service_request(number)
        assert_valid(self, "requests.json", [one])
        self.assertEqual((one["service_name"], one["status"], one["status_notes"]),
                         ("运输管理分中心 · 表扬", "open", "待签收"))
        for text in ("李四", "13600001234", "13812345678", "赵先生", self.misconduct.number):
            self.assertNotIn(text, json.dumps([everything, one], ensure_ascii=False))
        with self.assertRaises(http.HTTPError) as refused:
            client.get_service_request(self.misconduct.number)
        self.assertEqual(refused.exception.response.status_code, 404)
