"""A hall display's unchanged poll, answered before the rest of the middleware."""

import re

from django.http import HttpResponseNotModified

from servicehall.db.caches import HALL_VERSIONS

STATE_PATH = re.compile(r"^/queue/display/(?P<key>[^/]+)/state$")


class HallPollMiddleware:
    """Every display in every hall asks "changed?" every second or two, and nearly always the
    answer is no. Sessions, authentication, CSRF and the URL resolver cost several times more
    than that answer, so this middleware, first in the chain, answers 304 when the display's
    `If-None-Match` equals the ETag this process last sent for that display key and that ETag
    is still fresh (`db.caches.HALL_VERSIONS`). Anything else goes on to `views.display_state`."""

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
