"""Keyed API requests, answered through only the middleware that concerns them.

Window terminals, kiosks and other systems call /api/v1/ all day with a key (a bearer key, or a
centre's kiosk key) and no cookie. For such a request, sessions, CSRF, authentication (the key
names the user), messages and idle sign-out have nothing to do. `KeyedApiMiddleware`, early in
MIDDLEWARE, answers a request whose key is valid through settings.KEYED_API_MIDDLEWARE only,
by the API view the URL resolves to, which checks the key again, and the scope and role, as for
every request: the one request path of the API, minus the middleware it does not need.

Anything else, and any request with a cookie, goes on through the whole chain, unchanged: a
browser's session with its CSRF check, a wrong key (whose answer the API gives as always).
A test holds settings.MIDDLEWARE to KEYED_API_MIDDLEWARE and NOT_FOR_KEYED, so a new
middleware needs a decision here.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import convert_exception_to_response
from django.db import DatabaseError
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

# Why each other middleware of MIDDLEWARE has nothing to do for a keyed request.
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


class KeyedApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Each layer turns an exception into its response, as Django's own chain does, so the
        # layers outside it still shape it (the API's error shape, the security headers).
        answer = convert_exception_to_response(self._answer)
        for path in reversed([path for path in settings.MIDDLEWARE if path in settings.KEYED_API_MIDDLEWARE]):
            answer = convert_exception_to_response(import_string(path)(answer))
        self.answer = answer

    def __call__(self, request):
        if request.META.get("HTTP_COOKIE") or not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            request.get_host()  # a host not allowed, or a key the database cannot check now:
            match = self._match(request)  # the whole chain answers, as always
        except (DisallowedHost, DatabaseError):
            match = None
        if match is None:
            return self.get_response(request)
        request.keyed_lane = match
        response = self.answer(request)
        patch_vary_headers(response, ("Cookie",))  # as the session middleware marks every API answer
        return response

    @staticmethod
    def _match(request):
        """The API view a request with a valid key resolves to, or None. The view authenticates
        the key itself (no user is set here), so a view that takes no key (`auth=None`) still
        sees nobody, as through the whole chain."""
        from servicehall.accounts.services import api_key_user
        from servicehall.queueing.api import kiosk_center

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
        return match

    @staticmethod
    def _answer(request):
        match = request.resolver_match = request.keyed_lane
        return match.func(request, *match.args, **match.kwargs)
