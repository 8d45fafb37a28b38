"""Dependencies point one way (DESIGN.md, docs/architecture.md): nothing lower imports anything
higher. Views, API and admin modules are the top of their app and are checked too; tests and
migrations are not.

Order: lib ← db ← audit ← accounts ← org ← workcalendar ← catalog ← queueing ← inquiries ← cases ←
reviews ← ops. `lib` and `db` are packages of helpers that import no app at all; `ops` (the
background loop, the demo, the home pages) sits above every domain app. The project's own
top-level modules (settings, urls, api, web…) are placed too: a module that an app imports must
not import anything above that app.
"""

import ast
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["lib", "db", "audit", "accounts", "org", "workcalendar", "catalog", "queueing", "inquiries", "cases",
         "reviews", "attendance", "complaints", "supervision", "ops"]
# Top-level modules, each with the highest app it may import (None: no app at all). Apps import
# web, api_schemas and admin_site, so those stay at the level of the lowest app that does.
TOP_LEVEL = {
    "web.py": "accounts", "errors.py": "lib", "api_schemas.py": "lib", "admin_site.py": "accounts",
    "testing.py": "org", "api.py": None, "urls.py": None, "settings.py": None,
    "wsgi.py": None, "asgi.py": None, "apps.py": None,
}
FOUNDATION = {"lib", "db"}  # import no app


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("servicehall.")}


def imported_apps(path: Path) -> set[str]:
    return {name.split(".")[1] for name in imported_modules(path) if name.count(".") >= 1}


def sources(folder: Path):
    for path in folder.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        yield path


class LayerTests(SimpleTestCase):
    def test_the_order_names_every_app_and_package(self):
        packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - {"tests"}
        self.assertEqual(packages, set(ORDER))
        modules = {p.name for p in ROOT.glob("*.py")} - {"__init__.py"}
        self.assertEqual(modules, set(TOP_LEVEL))

    def test_it_keeps_lower_apps_free_of_higher_imports(self):
        for index, app in enumerate(ORDER):
            higher = set(ORDER[index + 1:])
            for path in sources(ROOT / app):
                with self.subTest(module=str(path.relative_to(ROOT))):
                    self.assertFalse(imported_apps(path) & higher, f"{path} imports a higher app")

    def test_the_foundation_imports_no_app_nor_any_top_level_module(self):
        apps = set(ORDER) - FOUNDATION
        for package in FOUNDATION:
            for path in sources(ROOT / package):
                with self.subTest(module=str(path.relative_to(ROOT))):
                    modules = imported_modules(path)
                    self.assertFalse({m.split(".")[1] for m in modules} & apps, f"{path} imports an app")
                    self.assertFalse({m for m in modules if m.count(".") == 1 and m.split(".")[1] not in ORDER},
                                     f"{path} imports a top-level module")

    def test_top_level_modules_stay_below_the_apps_that_import_them(self):
        for name, highest in TOP_LEVEL.items():
            allowed = set(ORDER[:ORDER.index(highest) + 1]) if highest else set(ORDER)
            with self.subTest(module=name):
                found = imported_apps(ROOT / name) & set(ORDER)
                self.assertLessEqual(found, allowed, f"{name} imports {found - allowed}")
        # …and each app imports only the top-level modules placed at or below it.
        for index, app in enumerate(ORDER):
            for path in sources(ROOT / app):
                for module in imported_modules(path):
                    top = module.split(".")[1] + ".py"
                    if module.count(".") == 1 and top in TOP_LEVEL:
                        with self.subTest(module=str(path.relative_to(ROOT)), imports=top):
                            highest = TOP_LEVEL[top]
                            self.assertIsNotNone(highest, f"{path} imports {top}, which sits above every app")
                            self.assertLessEqual(ORDER.index(highest), index, f"{path} imports {top}")


class ExportHomeTests(SimpleTestCase):
    """Spreadsheets and CSV files are written in one place (lib/exports.py, which keeps
    formula-looking text as text) and read in one (the catalogue importer, which bounds them)."""

    def test_only_the_export_helper_writes_and_only_the_importer_reads_spreadsheets(self):
        allowed = {ROOT / "lib" / "exports.py": {"csv", "openpyxl"},
                   ROOT / "catalog" / "excel" / "importer.py": {"openpyxl"},
                   ROOT / "complaints" / "hotline.py": {"openpyxl"}}  # the 12345 export, bounded alike
        for path in sources(ROOT):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            used = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    used.add(node.module.split(".")[0])
                elif isinstance(node, ast.Import):
                    used.update(alias.name.split(".")[0] for alias in node.names)
            with self.subTest(path=str(path.relative_to(ROOT))):
                self.assertLessEqual(used & {"csv", "openpyxl", "xlsxwriter"}, allowed.get(path, set()))
