"""The production service units restart what dies and name only settings the code reads."""

import configparser
import re
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(UNITS / name)
    return parser


class ServiceUnitTests(SimpleTestCase):
    def test_both_services_restart_whatever_dies(self):
        for name in ("servicehall-web.service", "servicehall-workers.service"):
            service = unit(name)["Service"]
            self.assertEqual(service["Restart"], "always", name)
            self.assertLessEqual(float(service["RestartSec"]), 5, name)
            self.assertEqual(service["EnvironmentFile"], "/etc/servicehall/servicehall.env", name)

    def test_web_runs_the_one_server_command_which_respawns_its_workers(self):
        self.assertTrue(unit("servicehall-web.service")["Service"]["ExecStart"].endswith("/scripts/web"))
        self.assertIn("manage.py run_workers", unit("servicehall-workers.service")["Service"]["ExecStart"])
        self.assertIn("--respawn-failed-workers", (ROOT / "scripts" / "web").read_text())
        self.assertIn("./scripts/web", (ROOT / "scripts" / "run").read_text())

    def test_every_setting_of_the_example_is_read_by_the_code(self):
        readers = "".join(path.read_text() for path in (ROOT / "servicehall" / "settings.py", ROOT / "scripts" / "web"))
        names = re.findall(r"^([A-Z_]+)=", (UNITS / "servicehall.env.example").read_text(), re.M)
        self.assertIn("SH_PRODUCTION", names)
        for name in names:
            self.assertRegex(readers, rf"\b{name}\b", name)
