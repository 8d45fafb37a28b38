"""The whole API under generated requests (schemathesis over /api/v1/openapi.json): no answer
is a 5xx, and every answer is one the document declares, in the shape it declares.

Requests go in-process through the WSGI application, with a centre clerk's and the district
bureau's bearer keys, against a hall with a published item, a ticket category and a window.
Each operation gets a bounded number of examples (`EXAMPLES`), so the run takes seconds.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from servicehall.accounts.services import api_key_create
from servicehall.api import api
from servicehall.cases.tests.helpers import item_data, publish
from servicehall.queueing.models import CategoryWindow, TicketCategory
from servicehall.testing import FAST_HASHERS, Personas
from servicehall.wsgi import application

EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.fixture
def in_process():
    """Requests share the test's connection, as Django's test client arranges: the WSGI handler
    would close it after each answer."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def hall(db, in_process):
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS, ALLOWED_HOSTS=["*"]):
        p = Personas.build()
        publish(p, item_data("法律援助申请"))
        category = TicketCategory.objects.create(center=p.center_a, prefix="B", name="法律援助")
        CategoryWindow.objects.create(category=category, window=p.window_a)
        yield p


@pytest.fixture
def bearers(hall) -> dict[str, str]:
    """Bearer headers of a centre's clerk and of the district bureau."""
    return {who: f"Bearer {api_key_create(actor=hall.sysadmin, user=getattr(hall, who), name='接口测试')[1]}"
            for who in ("staff_a", "bureau")}


schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application
bounded = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.filter_too_much, HealthCheck.data_too_large])


@schema.parametrize()
@bounded
def test_every_operation_answers_a_clerk_as_documented(case, bearers):
    case.call_and_validate(headers={"Authorization": bearers["staff_a"]}, checks=CHECKS)


@schema.parametrize()
@bounded
def test_every_operation_answers_the_bureau_as_documented(case, bearers):
    case.call_and_validate(headers={"Authorization": bearers["bureau"]}, checks=CHECKS)
