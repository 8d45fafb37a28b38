"""Dependencies point one way (DESIGN.md): nothing lower imports anything higher.

Order here: lib ← audit ← accounts ← org ← workcalendar ← catalog ← queueing ← inquiries ← cases ← reviews. Views, API and admin modules are
the top of their app and are checked too; tests and migrations are not.
"""

import ast
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["lib", "audit", "accounts", "org", "workcalendar", "catalog", "queueing", "inquiries", "cases", "reviews"]


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name.split(".")[1] for name in names if name.startswith("servicehall.") and name.count(".") >= 1}


class LayerTests(SimpleTestCase):
    def test_it_keeps_lower_apps_free_of_higher_imports(self):
        for index, app in enumerate(ORDER):
            higher = set(ORDER[index + 1:])
            for path in (ROOT / app).rglob("*.py"):
                if "tests" in path.parts or "migrations" in path.parts:
                    continue
                with self.subTest(module=str(path.relative_to(ROOT))):
                    self.assertFalse(imported_apps(path) & higher, f"{path} imports a higher app")
