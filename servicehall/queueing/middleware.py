"""The two requests a hall sends all day, answered before the rest of the middleware.

- `HallPollMiddleware`: a hall display's unchanged poll (304).
- `WindowCallMiddleware`: a window terminal's call-next with a bearer key.
"""

import re

from django.conf import settings
from django.http import HttpResponseNotModified
from django.utils.module_loading import import_string

from .selectors import HALL_VERSIONS

STATE_PATH = re.compile(r"^/queue/display/(?P<key>[^/]+)/state$")


class HallPollMiddleware:
    """Every display in every hall asks "changed?" every second or two, and nearly always the
    answer is no. Sessions, authentication, CSRF and the URL resolver cost several times more
    than that answer, so this middleware, first in the chain, answers 304 when the display's
    `If-None-Match` equals the ETag this process last sent for that display key and that ETag
    is still fresh (`selectors.HALL_VERSIONS`). Anything else goes on to `views.display_state`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tag = request.META.get("HTTP_IF_NONE_MATCH")
        if tag and request.method == "GET":
            match = STATE_PATH.match(request.path_info)
            if match and HALL_VERSIONS.peek(match["key"]) == tag:
                response = HttpResponseNotModified()
                response["ETag"] = tag
                response["Cache-Control"] = "no-cache"
                return response
        return self.get_response(request)


CALL_NEXT_PATH = re.compile(r"^/api/v1/windows/(?P<window_id>[0-9]+)/call-next$")

# What a terminal's call-next passes through, of settings.MIDDLEWARE (in that order): the
# response headers every answer carries, and the source address. Every other entry concerns
# something such a request does not have, and is named here with the reason; a test holds
# settings.MIDDLEWARE to the two lists, so a new middleware needs a decision here.
TERMINAL_CHAIN = (
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "servicehall.audit.context.SourceAddressMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)
NOT_FOR_TERMINALS = {
    "servicehall.queueing.middleware.HallPollMiddleware": "hall displays' polls only",
    "servicehall.queueing.middleware.WindowCallMiddleware": "this one",
    "whitenoise.middleware.WhiteNoiseMiddleware": "static files only",
    "servicehall.web.RejectNulMiddleware": "only the path's digits, the flag's two words and the key's hash are read",
    "servicehall.web.ApiErrorShapeMiddleware": "every error is answered by the API's own handlers",
    "django.contrib.sessions.middleware.SessionMiddleware": "no cookie, so no session",
    "django.middleware.csrf.CsrfViewMiddleware": "no cookie: a bearer key is not sent by the browser on its own",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "the bearer key names the user",
    "django.contrib.messages.middleware.MessageMiddleware": "no page, no session",
    "servicehall.web.ServiceErrorMiddleware": "error pages; the API answers in JSON",
    "servicehall.accounts.middleware.SessionSecurityMiddleware": "idle sign-out of sessions; there is none",
}


class WindowCallMiddleware:
    """Every window presses "next" for every citizen. A terminal's plain request (POST, a valid
    bearer key, no cookie, at most `finish_current=true|false`: `api.direct_call`) is answered
    here by the API operation's own function (`api.call_next_answer`: the same window scope and
    role check, service and answer) and its exception handlers, through only the middleware of
    TERMINAL_CHAIN. Session, CSRF, authentication, messages, the URL resolver and ninja's
    per-request work were a third of the request's Python (docs/decisions.md). Anything else,
    a browser's session with its CSRF check included, goes on to the API unchanged."""

    def __init__(self, get_response):
        self.get_response = get_response
        answer = self._answer
        for path in reversed([path for path in settings.MIDDLEWARE if path in TERMINAL_CHAIN]):
            answer = import_string(path)(answer)
        self.answer = answer

    def __call__(self, request):
        if request.method == "POST" and not request.META.get("HTTP_COOKIE"):
            match = CALL_NEXT_PATH.match(request.path_info)
            if match:
                from .api import direct_call

                direct = direct_call(request)
                if direct is not None:
                    request.user, finish_current = direct
                    request.terminal_call = int(match["window_id"]), finish_current
                    return self.answer(request)
        return self.get_response(request)

    @staticmethod
    def _answer(request):
        from servicehall.api import api

        from .api import call_next_answer

        try:
            return call_next_answer(request.user, *request.terminal_call)
        except Exception as exc:  # the API's own handlers: one error shape, one log
            return api.on_exception(request, exc)
