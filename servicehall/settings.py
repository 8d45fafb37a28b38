"""One settings module, driven by the environment.

`DATABASE_URL` selects the database (SQLite under `var/` by default, PostgreSQL in production),
`SECRET_KEY` must be set outside development. Every local-practice figure (RULES.md, marked
"configurable") is read from an `SH_*` variable here as the default; the security policy the
security admin edits in the browser starts from these values.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SH_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


DEBUG = env_bool("DEBUG", False)
PRODUCTION = env_bool("SH_PRODUCTION", False)
_DEV_SECRET = "dev-only-insecure-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET)
# Key of the HMAC-SM3 audit chain. Keep it stable: rows sealed under another key fail audit_verify.
SH_AUDIT_CHAIN_KEY = os.environ.get("SH_AUDIT_CHAIN_KEY", "")
if PRODUCTION and (SECRET_KEY == _DEV_SECRET or not SH_AUDIT_CHAIN_KEY):
    raise RuntimeError("SECRET_KEY and SH_AUDIT_CHAIN_KEY must be set in production (SH_PRODUCTION=1)")
# The public address citizens' phones open (QR codes, printed and SMS links): lib/links.py.
# Personal data at rest (lib/personal.py): SM4 keys "<number>:<base64>,…" and the key of the
# lookup hashes. Development derives both from SECRET_KEY; production must set them.
SH_DATA_KEYS = os.environ.get("SH_DATA_KEYS", "")
SH_DATA_INDEX_KEY = os.environ.get("SH_DATA_INDEX_KEY", "")
if PRODUCTION and not (SH_DATA_KEYS and SH_DATA_INDEX_KEY):
    raise RuntimeError("SH_DATA_KEYS and SH_DATA_INDEX_KEY must be set in production (SH_PRODUCTION=1): "
                       "python -c \"import os,base64;print('1:'+base64.b64encode(os.urandom(16)).decode())\"")
# How long tickets, appointments and reviews keep the citizen's phone and ID number; cases keep
# theirs with the file (archives). The background loop blanks them after this many days.
SH_PERSONAL_DATA_DAYS = env_int("SH_PERSONAL_DATA_DAYS", 180)
SH_PUBLIC_BASE_URL = os.environ.get("SH_PUBLIC_BASE_URL", "" if PRODUCTION else "http://127.0.0.1:8000")
if PRODUCTION and not SH_PUBLIC_BASE_URL.startswith(("https://", "http://")):
    raise RuntimeError("SH_PUBLIC_BASE_URL must be set in production (SH_PRODUCTION=1), e.g. https://zwfw.example.gov.cn")
# Behind a reverse proxy, take the client address from the first X-Forwarded-For hop.
SH_TRUST_PROXY = env_bool("SH_TRUST_PROXY", False)

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "servicehall.apps.SystemAdminConfig",  # django.contrib.admin with our AdminSite (admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "servicehall.accounts",
    "servicehall.audit",
    "servicehall.org",
    "servicehall.workcalendar",
    "servicehall.catalog",
    "servicehall.inquiries",
    "servicehall.queueing",
    "servicehall.cases",
    "servicehall.reviews",
    "servicehall.attendance",
    "servicehall.complaints",
    "servicehall.supervision",
    "servicehall.ops",
]

MIDDLEWARE = [
    "servicehall.queueing.middleware.HallPollMiddleware",  # a display's unchanged poll: 304 at once
    "django.middleware.security.SecurityMiddleware",
    "servicehall.web.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "servicehall.web.ApiErrorShapeMiddleware",  # outside what reads the body: a bad body is shaped too
    "servicehall.web.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "servicehall.audit.context.SourceAddressMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "servicehall.web.ServiceErrorMiddleware",
    "servicehall.accounts.middleware.SessionSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "servicehall.urls"

# Rules a lower app asks of a higher one, named here so they are seen in one place (a lower app
# never imports a higher one: docs/architecture.md). Which centres a user may see (the
# permission check in accounts asks the module's visible_center_ids and all_center_ids) and
# which audit rows a user may read (the audit pages ask it) are org's rules, since memberships
# point at centres.
SH_CENTRE_SCOPE = "servicehall.org.selectors"
SH_AUDIT_READER_SCOPE = "servicehall.org.selectors.audit_reader_filter"
WSGI_APPLICATION = "servicehall.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "servicehall" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicehall.accounts.context.navigation",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'servicehall.sqlite3'}",
        conn_max_age=env_int("SH_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# Test databases carry the process id, so concurrent test runs on one machine never collide.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Parameters bound by the server let PostgreSQL keep each statement's plan per connection
    # (psycopg prepares a statement after its 5th use): the queue's hot statements are planned
    # once instead of on every call. No connection pooler sits between, so nothing breaks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    # No JIT compilation: it starts for any statement the planner costs above 100,000 and spent
    # 20 ms compiling each of supervision's sweep statements that ran in 5 (bench/supervision.py);
    # nothing here runs long enough to win it back (docs/decisions.md).
    options = DATABASES["default"]["OPTIONS"].get("options", "")
    DATABASES["default"]["OPTIONS"]["options"] = f"{options} -c jit=off".strip()
DATABASE_VENDOR = "sqlite" if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "servicehall.accounts.passwords.PolicyPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Security policy defaults (RULES.md "Security"); the security admin edits the live values.
SH_PASSWORD_MIN_LENGTH = env_int("SH_PASSWORD_MIN_LENGTH", 8)
SH_PASSWORD_MIN_CLASSES = env_int("SH_PASSWORD_MIN_CLASSES", 3)
SH_PASSWORD_MAX_AGE_DAYS = env_int("SH_PASSWORD_MAX_AGE_DAYS", 90)
SH_LOGIN_MAX_FAILURES = env_int("SH_LOGIN_MAX_FAILURES", 5)
SH_LOGIN_LOCK_MINUTES = env_int("SH_LOGIN_LOCK_MINUTES", 15)
SH_IDLE_MINUTES = env_int("SH_IDLE_MINUTES", 30)
# How long another server process may keep using a key, scope or category after it changed
# (servicehall/db/hotcache.py); 0 turns the per-process caches off.
SH_HOT_CACHE_SECONDS = float(os.environ.get("SH_HOT_CACHE_SECONDS") or 2)
# Bearer keys: the bound, stated in the README, on how long a revoked key works in other workers.
SH_KEY_CACHE_SECONDS = min(1.0, float(os.environ.get("SH_KEY_CACHE_SECONDS") or 1))
# Case clock (RULES.md "Time limits"): Art. 32 notice within 5 working days; one extension of
# at most 10 working days (15 for joint handling); delivery within 10 working days. The yellow
# light's thresholds are the bureau's to edit (cases.LightRules, /cases/rules/).
SH_CASE_NOTICE_DAYS = env_int("SH_CASE_NOTICE_DAYS", 5)
SH_CASE_EXTENSION_DAYS = env_int("SH_CASE_EXTENSION_DAYS", 10)
SH_CASE_JOINT_EXTENSION_DAYS = env_int("SH_CASE_JOINT_EXTENSION_DAYS", 15)
SH_CASE_DELIVERY_DAYS = env_int("SH_CASE_DELIVERY_DAYS", 10)
# Separation of duties (行政许可 practice): who accepted a promised case never decides it, and
# the decision needs the approver the item names (cases.services.decision.decision_refusal).
SH_CASE_SEPARATE_APPROVAL = env_bool("SH_CASE_SEPARATE_APPROVAL", True)
# 好差评 (RULES.md): a service may be rated up to 7 calendar days after it finished; a bad
# review's rectification is due 15 working days later (local rules range from 5 to 15).
SH_REVIEW_WINDOW_DAYS = env_int("SH_REVIEW_WINDOW_DAYS", 7)
SH_RECTIFICATION_DAYS = env_int("SH_RECTIFICATION_DAYS", 15)
# Attendance (PRACTICE.md, "Attendance and AB posts"): a check-in this many minutes late, or a
# check-out this many minutes early, is half a day absent (旷工), as 腾冲 counts it.
SH_ATTENDANCE_ABSENT_MINUTES = env_int("SH_ATTENDANCE_ABSENT_MINUTES", 30)
# A window without its expected person for longer than this after a shift starts is an empty
# post (空岗) in the figures (苍南: 15 minutes; the supervision rule raises its alert likewise).
SH_EMPTY_POST_MINUTES = env_int("SH_EMPTY_POST_MINUTES", 15)
# Complaints (RULES.md "Supervision", PRACTICE.md "Complaints"): signed for within a working day
# (12345 practice), handled within 10 working days (5 for a simple one, 柘城 and 兰州), per kind.
SH_COMPLAINT_SIGN_DAYS = env_int("SH_COMPLAINT_SIGN_DAYS", 1)
SH_COMPLAINT_DAYS = {"complaint": env_int("SH_COMPLAINT_DAYS", 10), "suggestion": 10, "opinion": 10, "praise": 5,
                     "misconduct": 10}
SH_COMPLAINT_SIMPLE_DAYS = env_int("SH_COMPLAINT_SIMPLE_DAYS", 5)
# A reply the complainant has not rated within this many working days may be archived.
SH_COMPLAINT_RATE_DAYS = env_int("SH_COMPLAINT_RATE_DAYS", 3)
# A leave of up to this many half days is the centre manager's to approve; a longer one is then
# the bureau's too (凉山: ≥ 1 day goes up a level).
SH_LEAVE_MANAGER_HALF_DAYS = env_int("SH_LEAVE_MANAGER_HALF_DAYS", 2)
# The clerk whose service was rated badly does not work its rectification: the centre's head
# does, or assigns another (reviews.services.rectification_refusal).
SH_RECTIFICATION_SEPARATE = env_bool("SH_RECTIFICATION_SEPARATE", True)
# How long after a ticket is finished the window's evaluation pad still offers it for rating.
SH_PAD_PENDING_MINUTES = env_int("SH_PAD_PENDING_MINUTES", 10)
# The pad stores the level at the tap; the reasons and comment on the next screen amend that
# review for this long. The pad goes back to idle after SH_PAD_IDLE_SECONDS untouched (JOURNEYS).
SH_REVIEW_AMEND_MINUTES = env_int("SH_REVIEW_AMEND_MINUTES", 5)
# Appointment hoarding: a valid ID number is easy to make up, so one person could book a whole
# day. Active bookings per ID number per day (every centre) and per category; per phone per
# day; bookings made from one address per hour (a reception desk may book for a few citizens).
# Sign-in back-off (accounts.services.login_wait): failures of one name (every address) or of
# one address (every name) within the lock window after which each attempt waits 1, 2, 4… s.
SH_LOGIN_BACKOFF_AFTER = env_int("SH_LOGIN_BACKOFF_AFTER", 3)
SH_LOGIN_ADDRESS_BACKOFF_AFTER = env_int("SH_LOGIN_ADDRESS_BACKOFF_AFTER", 10)
SH_LOGIN_BACKOFF_MAX_SECONDS = env_int("SH_LOGIN_BACKOFF_MAX_SECONDS", 300)
SH_BOOKINGS_PER_ID_PER_DAY = env_int("SH_BOOKINGS_PER_ID_PER_DAY", 2)
SH_BOOKINGS_PER_ID_PER_CATEGORY = env_int("SH_BOOKINGS_PER_ID_PER_CATEGORY", 1)
SH_BOOKINGS_PER_PHONE_PER_DAY = env_int("SH_BOOKINGS_PER_PHONE_PER_DAY", 3)
SH_BOOKINGS_PER_ADDRESS_PER_HOUR = env_int("SH_BOOKINGS_PER_ADDRESS_PER_HOUR", 20)
SH_PAD_IDLE_SECONDS = env_int("SH_PAD_IDLE_SECONDS", 30)
# How long another process may answer a hall display "unchanged" (304) after a call.
SH_HALL_VERSION_SECONDS = float(os.environ.get("SH_HALL_VERSION_SECONDS") or 0.5)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600  # hard cap; idle sign-out is enforced by SessionSecurityMiddleware
SESSION_COOKIE_SECURE = env_bool("SH_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Served over HTTPS (nginx in front terminates it): redirect plain HTTP and send HSTS for a
# year. The health check stays reachable over HTTP for the load balancer on loopback.
SH_HTTPS = env_bool("SH_HTTPS", False)
SECURE_SSL_REDIRECT = SH_HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if SH_HTTPS else 0
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
if SH_TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Scripts only from this site (no inline script, no eval); styles may be inline (the printed
# documents carry theirs, and a style cannot run code). web.SecurityHeadersMiddleware sends it.
SH_CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                              "img-src 'self' data:; font-src 'self'; connect-src 'self'; media-src 'self'; "
                              "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "servicehall" / "static"]
# Front-end packages come from npm (package.json + lock); `make setup` copies the few files we
# serve into var/vendor, and the app serves them itself (closed government networks).
VENDOR_DIR = BASE_DIR / "var" / "vendor"
if VENDOR_DIR.exists():
    STATICFILES_DIRS.append(("vendor", VENDOR_DIR))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals_on_one_line": {"()": "servicehall.lib.logs.RefusalsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals_on_one_line"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"servicehall": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}

# Where audit_verify remembers the last verified chain head. Outside the database, so that a
# removed tail with a rewound head is caught; in production put it on another machine or
# write-once storage.
SH_AUDIT_ANCHOR_FILE = os.environ.get("SH_AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchor.json"))
