"""A clock-in terminal simulator that speaks the iclock (ZKTeco ADMS push) protocol over real
HTTP to a running server: handshake, ATTLOG uploads, command polls, and uploads cut off by a
dropped connection and sent again."""

import http.client
import socket
from urllib.parse import urlsplit

from django.test import LiveServerTestCase, override_settings
from django.utils import timezone

from servicehall.attendance.models import Device, Punch, RefusedPunch
from servicehall.attendance.services import device_register
from servicehall.org.models import Staff
from servicehall.testing import FAST_HASHERS, Personas


class IclockDevice:
    """A terminal as the server meets it: its serial number, and HTTP."""

    def __init__(self, base_url: str, serial: str):
        parts = urlsplit(base_url)
        self.host, self.port, self.serial = parts.hostname, parts.port, serial

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=10)

    def _ask(self, method: str, path: str, body: bytes | None = None) -> tuple[int, str]:
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers={"Content-Type": "text/plain"})
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def handshake(self) -> tuple[int, str]:
        return self._ask("GET", f"/iclock/cdata?SN={self.serial}&options=all&pushver=2.4.1")

    def upload(self, lines: list[str]) -> tuple[int, str]:
        return self._ask("POST", f"/iclock/cdata?SN={self.serial}&table=ATTLOG&Stamp=9999", attlog(lines))

    def poll(self) -> tuple[int, str]:
        return self._ask("GET", f"/iclock/getrequest?SN={self.serial}")

    def upload_and_drop(self, lines: list[str], *, sent: float = 1.0) -> None:
        """Send the upload (only its first `sent` share of the body) and drop the connection
        without reading the answer, as a terminal does when the network goes away."""
        body = attlog(lines)
        cut = body[:int(len(body) * sent)]
        sock = socket.create_connection((self.host, self.port), timeout=10)
        head = (f"POST /iclock/cdata?SN={self.serial}&table=ATTLOG HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        sock.sendall(head + cut)
        sock.shutdown(socket.SHUT_WR)
        sock.close()


def attlog(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def line(pin: str, at: str, status: int = 0, verify: int = 1) -> str:
    return f"{pin}\t{at}\t{status}\t{verify}\t0\t0\t0\t0\t0\t0"


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class IclockProtocolTests(LiveServerTestCase):
    def setUp(self):
        self.p = Personas.build()
        now = timezone.now()
        self.device_a, _ = device_register(actor=self.p.manager_a, center=self.p.center_a, serial="CQZ7232460001",
                                           name="一楼大厅", now=now)
        device_register(actor=self.p.manager_b, center=self.p.center_b, serial="CQZ7232460002", name="二楼", now=now)
        self.elsewhere = Staff.objects.create(center=self.p.center_b, name="赵敏", employee_no="107")
        self.terminal = IclockDevice(self.live_server_url, "CQZ7232460001")
        self.morning = [line("001", "2026-12-04 08:21:07"), line("002", "2026-12-04 08:24:55", verify=15),
                        line("001", "2026-12-04 12:01:10", status=1), line("002", "2026-12-04 12:00:02", status=1)]

    def test_handshake_upload_and_poll_as_the_terminal_speaks_them(self):
        status, options = self.terminal.handshake()
        self.assertEqual(status, 200)
        self.assertTrue(options.startswith("GET OPTION FROM: CQZ7232460001\r\n"))
        self.assertIn("TimeZone=8\r\n", options)
        self.assertIn("Realtime=1\r\n", options)

        self.assertEqual(self.terminal.upload(self.morning), (200, "OK: 4"))
        self.assertEqual(self.terminal.poll(), (200, "OK"))

        punches = list(Punch.objects.order_by("at").values_list("pin", "staff__name", "state", "verify", "source"))
        self.assertEqual(punches, [("001", "李娜", 0, 1, "device"), ("002", "王强", 0, 15, "device"),
                                   ("002", "王强", 1, 1, "device"), ("001", "李娜", 1, 1, "device")])
        first = Punch.objects.order_by("at").first()
        self.assertEqual(timezone.localtime(first.at).strftime("%Y-%m-%d %H:%M:%S"), "2026-12-04 08:21:07")
        self.assertEqual({p.center_id for p in Punch.objects.all()}, {self.p.center_a.pk})
        self.assertIsNotNone(Device.objects.get(serial="CQZ7232460001").last_seen_at)

    def test_a_retried_upload_after_a_dropped_connection_leaves_no_duplicate_and_loses_nothing(self):
        self.terminal.upload_and_drop(self.morning[:2], sent=0.6)  # cut mid-line: nothing kept
        self.terminal.upload_and_drop(self.morning[2:])  # all sent, the answer never read
        # The terminal did not hear "OK" for either: it sends everything since its last stamp.
        self.assertEqual(self.terminal.upload(self.morning), (200, "OK: 4"))
        self.assertEqual(self.terminal.upload(self.morning), (200, "OK: 4"))

        self.assertEqual(Punch.objects.count(), 4)
        self.assertEqual(sorted(Punch.objects.values_list("pin", "state")),
                         [("001", 0), ("001", 1), ("002", 0), ("002", 1)])
        self.assertEqual(RefusedPunch.objects.count(), 0)  # the cut line was never read

    def test_an_unknown_serial_is_refused_and_a_pin_of_another_centre_is_refused_and_logged(self):
        stranger = IclockDevice(self.live_server_url, "UNKNOWN0001")
        self.assertEqual(stranger.handshake()[0], 403)
        self.assertEqual(stranger.upload(self.morning)[0], 403)
        self.assertEqual(stranger.poll()[0], 403)
        self.assertEqual(Punch.objects.count(), 0)

        lines = [line("001", "2026-12-04 08:21:07"), line("107", "2026-12-04 08:22:00"),
                 line("001", "2026-12-04 8:3"), line("001", "2099-01-01 08:00:00")]
        self.assertEqual(self.terminal.upload(lines), (200, "OK: 4"))
        self.assertEqual(self.terminal.upload(lines), (200, "OK: 4"))

        self.assertEqual(list(Punch.objects.values_list("pin", flat=True)), ["001"])
        refused = sorted(RefusedPunch.objects.values_list("pin", "reason", "center__code"))
        self.assertEqual(refused, [("001", "打卡时间晚于服务器时间（设备时钟有误）", "21140301"),
                                   ("001", "打卡时间格式不对", "21140301"),
                                   ("107", "工号不是本中心人员", "21140301")])
        self.assertFalse(Punch.objects.filter(staff=self.elsewhere).exists())

    def test_a_stopped_device_is_refused(self):
        Device.objects.filter(pk=self.device_a.pk).update(is_active=False)
        self.assertEqual(self.terminal.upload(self.morning)[0], 403)
        self.assertFalse(Punch.objects.exists())
