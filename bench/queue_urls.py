"""The application's URLs plus `/bench/limit`: the smallest Django view that writes.

It inserts one row into `bench_limit` (a plain table the benchmark creates) with raw SQL in
autocommit and returns a small JSON object. It passes through the same middleware, server,
database and client as the queue endpoints, so its rate is the ceiling a Django endpoint that
writes can reach on this machine: the queue's figures are reported as a fraction of it.
"""

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from servicehall.urls import handler403, handler404, handler500  # noqa: F401
from servicehall.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def limit(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_limit (body) VALUES (%s) RETURNING id", [request.body.decode() or "{}"])
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("bench/limit", limit), *app_urlpatterns]
