"""What each app declares for the layers below it, read through Django's app registry.

A lower app never imports a higher one (tests/test_layers.py), yet the audit page must label
every app's actions, the permission check must know every app's actions and the background
loop every app's tasks. So each app declares them in a fixed place, and the one that needs them
reads them all from here, after start-up. Nothing registers itself and no list is changed at
run time:

| declared in                        | what                                          | read by                 |
|------------------------------------|-----------------------------------------------|-------------------------|
| AppConfig.audit_actions            | audit action code → Chinese label             | audit.actions           |
| AppConfig.audit_groups             | action code prefix → group label (filter)     | audit.actions           |
| <app>/permissions.py: ACTIONS      | action → who may do it (accounts.permissions) | accounts.permissions    |
| <app>/tasks.py: TASKS              | background task, how often                    | ops run_workers         |

Apps tell higher apps what happened through Django signals (<app>/signals.py); the receivers
are in the listening app's receivers.py, connected by its AppConfig.ready(). A rule a lower app
must ask of a higher one (which centres a user may see) is named in settings (SH_CENTRE_SCOPE,
SH_AUDIT_READER_SCOPE). docs/architecture.md has the whole map.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule


def declared(attribute: str) -> dict:
    """Every app's AppConfig `attribute` (a dict) merged, in INSTALLED_APPS order."""
    merged: dict = {}
    for config in apps.get_app_configs():
        merged.update(getattr(config, attribute, None) or {})
    return merged


@cache
def app_modules(name: str) -> tuple:
    """The `<app>.<name>` module of every installed app that has one, in INSTALLED_APPS order
    (as Django's admin finds every admin.py). Only after start-up (apps ready)."""
    apps.check_apps_ready()
    return tuple(import_module(f"{config.name}.{name}") for config in apps.get_app_configs()
                 if module_has_submodule(config.module, name))


@dataclass(frozen=True)
class Task:
    """A background task an app declares in its tasks.py (`TASKS`), run by `manage.py
    run_workers` (ops). `run()` does one round and returns how much it did: a round that did
    something is run again at once, otherwise after `every` seconds. Any number of
    run_workers may run against one database, so each task says why two copies at once are
    safe (`safe_in_copies`: printed by `run_workers --list`)."""

    name: str
    run: Callable[[], int]
    every: float
    safe_in_copies: str
