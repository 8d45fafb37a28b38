"""Every per-process cache of database rows, in one list: what each saves, and how long another
server process may go on using a row after it changed (`db/hotcache.py` says how they work).

A save or delete of a model named in `invalidated_by` empties the cache at once in the process
that made it; other processes follow within `SH_HOT_CACHE_SECONDS` (2 s). Rows changed with
`.update()` send no signal: their writer calls `hotcache.forget(label)` at its commit. Each
cache costs a dictionary entry per key (at most `hotcache.MAX_ENTRIES`); unknown keys are
never kept, so made-up keys cannot fill memory. Tests start with all of them empty
(conftest.py).
"""

from .hotcache import HotCache, VersionedCache

# --- every request ---------------------------------------------------------------------------

# A key revoked (or its owner switched off) by another process stops working in this one
# within SH_KEY_CACHE_SECONDS (1 s), whatever wrote the change.
BEARER_KEYS = HotCache("bearer_keys", invalidated_by=("accounts.ApiKey", "accounts.User"),
                       seconds_setting="SH_KEY_CACHE_SECONDS")
"""Key hash → the key with its user. Terminals and kiosks send the same key with every request
(a join per request saved); a revoked key or a locked user may work on another process for 2 s."""

VISIBLE_CENTRES = HotCache("visible_centres", invalidated_by=("org.Membership", "org.ServiceCenter", "accounts.User"))
"""(user, role) → ids of the centres the user may see: every scoped request asks (two queries
saved); a removed membership may still open its centre on another process for 2 s."""

CENTRES_BY_CODE = HotCache("centres_by_code", invalidated_by=("org.ServiceCenter",))
"""Centre code → the centre's row, for the busiest endpoints (receipts); scope is checked on
each call, so only the row's own fields can be 2 s old."""

# --- the queue -------------------------------------------------------------------------------

KIOSK_KEYS = HotCache("kiosk_keys", invalidated_by=("queueing.QueueSettings", "org.ServiceCenter"))
"""Kiosk key → its active centre: every ticket issued (a join saved); a regenerated key keeps
working on another process for 2 s."""

WINDOWS = HotCache("windows", invalidated_by=("org.Window", "org.ServiceCenter"))
"""Window id → the window with its centre: every call a terminal makes names it."""

ACTIVE_CATEGORIES = HotCache("active_categories", invalidated_by=("queueing.TicketCategory",))
"""(centre, letter) → the active category: every ticket names its category by letter."""

CATEGORIES = HotCache("categories", invalidated_by=("queueing.TicketCategory",))
"""Category id → the category: every call's answer shows its name."""

WINDOW_LEVELS = HotCache("window_levels", invalidated_by=("queueing.CategoryWindow", "queueing.TicketCategory"))
"""Window id → its categories by priority: every call-next builds its statement from them; a
changed set-up takes effect on another process within 2 s."""

OPEN_WINDOWS = HotCache("open_windows", invalidated_by=("queueing.CategoryWindow", "queueing.WindowState",
                                                        "org.Window"))
"""Category id → how many open windows serve it: every slip and status page estimates the wait
from it (a count over three tables saved)."""

HALL_VERSIONS = HotCache("hall_versions", invalidated_by=("queueing.QueueSettings", "queueing.WindowState",
                                                          "org.Window", "queueing.TicketCategory"),
                         seconds_setting="SH_HALL_VERSION_SECONDS")
"""Display key → the ETag last sent: a display's unchanged poll is answered 304 from it before
sessions, auth and URL resolving (`queueing/middleware.py`). Every ticket event empties it in
its process; another process may say "unchanged" for `SH_HALL_VERSION_SECONDS` (0.5 s)."""

HALL_DOCUMENTS = VersionedCache("hall_documents")
"""Centre id → its hall document (JSON bytes) at one version: rendered once per version and
process however many displays poll it."""

# --- cases and the calendar ------------------------------------------------------------------

CASE_VERSIONS = HotCache("case_versions", invalidated_by=("catalog.ItemVersion", "catalog.VersionMaterial",
                                                          "catalog.VersionFee"))
"""Item version id → its materials, fees and steps: an approved version never changes, so every
receipt after the first reads none of them (three queries saved)."""

CURRENT_ITEMS = HotCache("case_current_items", invalidated_by=("catalog.ServiceItem",))
"""(centre, item code) → (item id, current version id): every receipt asks. Publishing and
withdrawing write with `.update()` and call `forget` at their commit; another process may
receive under the previous version for 2 s after an approval."""

LIGHT_RULES = HotCache("case_light_rules", invalidated_by=("cases.LightRules",))
"""The yellow light's thresholds: every light shown reads them."""

CALENDAR_REVISION = HotCache("calendar_revision", invalidated_by=())
"""The calendar's revision number: every due date and light asks. An edit's commit empties it
in its own process; another process may compute with the calendar from before an edit for
2 s (edits are a few a year, for days months ahead)."""

CALENDARS = VersionedCache("calendars")
"""The built working-day calendar at one revision: rebuilt only after an edit (reading the
holiday table for every due date cost milliseconds)."""
