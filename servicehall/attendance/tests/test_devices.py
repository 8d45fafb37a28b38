"""Registering clock-in terminals, and punches over the JSON API with a device's key."""

import json
from io import StringIO

from django.core.management import call_command

from servicehall.attendance.models import Device, Punch, RefusedPunch
from servicehall.attendance.services import device_register
from servicehall.audit.models import AuditEvent
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound
from servicehall.testing import PersonaTestCase


class DeviceRegisterTests(PersonaTestCase):
    def test_a_manager_registers_a_device_of_the_centre_audited_and_the_command_lists_it(self):
        device, key = device_register(actor=self.p.manager_a, center=self.p.center_a, serial=" CQZ7232460001 ",
                                      name="一楼大厅")
        self.assertEqual((device.serial, device.center, device.name), ("CQZ7232460001", self.p.center_a, "一楼大厅"))
        self.assertTrue(key.startswith("dev_"))
        self.assertNotIn(key, device.key_hash)
        audited = AuditEvent.objects.filter(action="attendance.device_register", object_id=str(device.pk))
        self.assertTrue(audited.exists())
        out = StringIO()
        call_command("attendance_devices", stdout=out)
        self.assertIn("CQZ7232460001\t21140301\t龙港区行政服务中心公共法律服务分中心\t一楼大厅\t从未联络",
                      out.getvalue())

    def test_bad_input_names_its_field_and_changes_nothing(self):
        device_register(actor=self.p.manager_a, center=self.p.center_a, serial="CQZ1", name="大厅")
        letters = "设备序列号：只能包含字母、数字、连字符和下划线"
        for serial, name, field, message in (("", "大厅", "serial", "设备序列号：请填写"),
                                             ("CQZ 2", "大厅", "serial", letters),
                                             ("序列号", "大厅", "serial", letters),
                                             ("CQZ3", " ", "name", "安装位置：请填写"),
                                             ("CQZ3", "大" * 61, "name", "安装位置：不能超过60字")):
            with self.subTest(serial=serial, name=name), self.assertRaises(Invalid) as refused:
                device_register(actor=self.p.manager_a, center=self.p.center_a, serial=serial, name=name)
            self.assertEqual((refused.exception.field, refused.exception.message), (field, message))
        with self.assertRaises(Conflict) as twice:
            device_register(actor=self.p.manager_b, center=self.p.center_b, serial="CQZ1", name="二楼")
        self.assertEqual(twice.exception.field, "serial")
        self.assertEqual(list(Device.objects.values_list("serial", flat=True)), ["CQZ1"])

    def test_only_the_centres_own_manager_registers(self):
        for actor, refusal in ((self.p.manager_b, NotFound), (self.p.staff_a, Forbidden), (self.p.bureau, Forbidden)):
            with self.subTest(actor=actor.username), self.assertRaises(refusal):
                device_register(actor=actor, center=self.p.center_a, serial="CQZ9", name="大厅")
        self.assertFalse(Device.objects.exists())


class PunchApiTests(PersonaTestCase):
    def setUp(self):
        self.device, self.key = device_register(actor=self.p.manager_a, center=self.p.center_a, serial="FACE01",
                                                name="侧门人脸机")

    def post(self, body, key=None):
        return self.client.post("/api/v1/attendance/punches", data=json.dumps(body), content_type="application/json",
                                headers={"X-Device-Key": self.key if key is None else key})

    def test_punches_are_stored_once_with_the_key_and_refused_lines_counted(self):
        body = {"punches": [{"pin": "001", "at": "2026-12-04T08:21:07+08:00", "verify": 15},
                            {"pin": "002", "at": "2026-12-04T00:24:55Z", "state": 0},
                            {"pin": "107", "at": "2026-12-04T08:30:00+08:00"},
                            {"pin": "001", "at": "9999-12-31T23:59:59-12:00"},
                            {"pin": "001", "at": "0001-01-01T00:00:00+08:00"}]}
        for _ in range(2):
            response = self.post(body)
            self.assertEqual((response.status_code, response.json()), (200, {"received": 5, "refused": 3}))
        rows = sorted(Punch.objects.values_list("pin", "source", "verify"))
        self.assertEqual(rows, [("001", "api", 15), ("002", "api", 0)])
        second = Punch.objects.get(pin="002")
        self.assertEqual(second.at.isoformat(), "2026-12-04T00:24:55+00:00")
        self.assertEqual(sorted(RefusedPunch.objects.values_list("reason", flat=True)),
                         ["工号不是本中心人员", "打卡时间格式不对", "打卡时间格式不对"])

    def test_a_wrong_key_or_a_bad_body_is_refused_in_the_one_error_shape_and_stores_nothing(self):
        good = {"punches": [{"pin": "001", "at": "2026-12-04T08:21:07+08:00"}]}
        response = self.post(good, key="dev_wrong")
        self.assertEqual((response.status_code, response.json()["error"]), (403, "forbidden"))
        at = "2026-12-04T08:21:07+08:00"
        for body, field in (({"punches": []}, "punches"),
                            ({"punches": [{"pin": "001", "at": "2026-12-04 08:21:07"}]}, "punches.at"),
                            ({"punches": [{"pin": "001", "at": at, "state": 9}]}, "punches.state"),
                            ({"punches": [{"pin": "1" * 21, "at": at}]}, "punches.pin")):
            with self.subTest(field=field):
                response = self.post(body)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json()["field"], field)
                self.assertIn({"punches": "打卡记录", "punches.at": "打卡时间", "punches.state": "状态：不能大于5",
                               "punches.pin": "工号"}[field], response.json()["message"])
        self.assertFalse(Punch.objects.exists())
