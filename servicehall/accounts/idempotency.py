"""`Idempotency-Key` for the writes a client may retry after a lost answer (IETF draft
"The Idempotency-Key HTTP Header Field"): the first answer is stored with the write, in its
transaction, and a request with the same key from the same caller gets that answer again."""

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from servicehall.lib.errors import Invalid

from .models import IdempotentRequest

HEADER = "Idempotency-Key"


def _scope(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return f"kiosk:{getattr(request.auth, 'pk', '')}"  # a kiosk's key names its centre


def replay_or_run(request, operation: str, run: Callable[[], HttpResponse]) -> HttpResponse:
    """`run()`'s answer; with the header, the stored answer of the first request with that key.
    Two requests with one key at once: the second's write rolls back and it gets the first's
    answer."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return run()
    if len(key) > 100:
        raise Invalid("Idempotency-Key：不能超过100个字符", field=HEADER)
    found = {"scope": _scope(request), "operation": operation, "key": key}
    stored = IdempotentRequest.objects.filter(**found).first()
    if stored is None:
        try:
            with transaction.atomic():
                response = run()
                IdempotentRequest.objects.create(**found, status=response.status_code, body=response.content,
                                                 created_at=timezone.now())
                return response
        except IntegrityError:  # the same key, sent twice at once: the other one won
            stored = IdempotentRequest.objects.filter(**found).first()
            if stored is None:
                raise
    response = HttpResponse(bytes(stored.body), status=stored.status, content_type="application/json")
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent_requests_purge(now=None) -> int:
    """The background loop's step: answers older than a day are not replayed any more."""
    from datetime import timedelta

    now = now or timezone.now()
    return IdempotentRequest.objects.filter(created_at__lt=now - timedelta(days=1)).delete()[0]
