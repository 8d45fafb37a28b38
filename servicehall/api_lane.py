"""Keyed API requests, answered through only the middleware that concerns them.

Window terminals, kiosks and other systems call /api/v1/ all day with a key (a bearer key, or a
centre's kiosk key) and no cookie. For such a request, session, CSRF, authentication (the key
names the user), messages and idle sign-out have nothing to do, and they were a noticeable share
of its Python. `KeyedApiMiddleware`, early in MIDDLEWARE, answers it through KEYED_CHAIN only:

- a terminal's plain call-next (`queueing.api.direct_call`) by the API operation's own function
  (`call_next_answer`) and the API's exception handlers, without ninja's per-request work;
- any other request whose key is valid by the API view the URL resolves to, which then checks
  the key again, and the scope and role, as for every request.

Anything else, and any request with a cookie, goes on through the whole chain, unchanged: a
browser's session with its CSRF check, a wrong key (whose answer the API gives as always).
A test holds settings.MIDDLEWARE to KEYED_CHAIN and NOT_FOR_KEYED, so a new middleware needs a
decision here.
"""

import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import convert_exception_to_response
from django.db import DatabaseError
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

# What a keyed API request passes through, of settings.MIDDLEWARE (in that order).
KEYED_CHAIN = (
    "django.middleware.security.SecurityMiddleware",
    "servicehall.web.RejectNulMiddleware",
    "servicehall.web.ApiErrorShapeMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "servicehall.audit.context.SourceAddressMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)
NOT_FOR_KEYED = {
    "servicehall.queueing.middleware.HallPollMiddleware": "hall displays' polls only",
    "servicehall.api_lane.KeyedApiMiddleware": "this one",
    "whitenoise.middleware.WhiteNoiseMiddleware": "static files only",
    "django.contrib.sessions.middleware.SessionMiddleware": "no cookie, so no session",
    "django.middleware.csrf.CsrfViewMiddleware": "no cookie: a key is not sent by the browser on its own",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "the key names the user",
    "django.contrib.messages.middleware.MessageMiddleware": "no page, no session",
    "servicehall.web.ServiceErrorMiddleware": "error pages; the API answers in JSON",
    "servicehall.accounts.middleware.SessionSecurityMiddleware": "idle sign-out of sessions; there is none",
}

API_PREFIX = "/api/v1/"
CALL_NEXT_PATH = re.compile(r"/api/v1/windows/(?P<window_id>[0-9]+)/call-next")  # fullmatch, as Django's routes


class KeyedApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Each layer turns an exception into its response, as Django's own chain does, so the
        # layers outside it still shape it (the API's error shape, the security headers).
        answer = convert_exception_to_response(self._answer)
        for path in reversed([path for path in settings.MIDDLEWARE if path in KEYED_CHAIN]):
            answer = convert_exception_to_response(import_string(path)(answer))
        self.answer = answer

    def __call__(self, request):
        if request.META.get("HTTP_COOKIE") or not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            request.get_host()  # a host not allowed, or a key the database cannot check now:
            lane = self._lane(request)  # the whole chain answers, as always
        except (DisallowedHost, DatabaseError):
            lane = None
        if lane is None:
            return self.get_response(request)
        request.keyed_lane = lane
        response = self.answer(request)
        patch_vary_headers(response, ("Cookie",))  # as the session middleware marks every API answer
        return response

    @staticmethod
    def _lane(request):
        """How the request is answered here ("call-next" or the resolver's match), or None.

        Only the direct call-next takes the key's user from here: an API view authenticates
        the key itself (its user is not set before), so a view that takes no key (`auth=None`)
        still sees nobody, as through the whole chain."""
        from servicehall.accounts.services import api_key_user
        from servicehall.queueing.api import direct_call, kiosk_center

        if request.method == "POST":
            match = CALL_NEXT_PATH.fullmatch(request.path_info)
            if match:
                direct = direct_call(request)
                if direct is not None:
                    request.user, finish_current = direct
                    return "call-next", int(match["window_id"]), finish_current
        scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")  # as ninja's HttpBearer reads it
        if scheme.lower() == "bearer":
            valid = api_key_user(key) is not None
        else:
            valid = kiosk_center(request.META.get("HTTP_X_KIOSK_KEY", "")) is not None
        if not valid:
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        if match.namespace != "api":
            return None
        request.user = AnonymousUser()
        return "view", match

    @staticmethod
    def _answer(request):
        lane = request.keyed_lane
        if lane[0] == "view":
            match = request.resolver_match = lane[1]
            return match.func(request, *match.args, **match.kwargs)
        from servicehall.api import api
        from servicehall.queueing.api import call_next_answer

        try:
            return call_next_answer(request.user, *lane[1:])
        except Exception as exc:  # the API's own handlers: one error shape, one log
            return api.on_exception(request, exc)
