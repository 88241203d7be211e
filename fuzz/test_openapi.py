"""Schemathesis over the API's OpenAPI document, in process (WSGI): the spec must tell what the API does.

Every operation is sent generated requests, valid by the spec and invalid, as an administrator with a
bearer token over a small world (cooperatives, households, a funded program, a card). A run fails on
any 5xx, a status the operation does not document, a body that does not match the documented schema
or a content type other than the documented one. Run by `make fuzz-api`, not by `make test`.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from betang.accounts.services import token_create
from config.wsgi import application
from tests.aid.conftest import build_world
from tests.conftest import NOW

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("BETANG_FUZZ_EXAMPLES", "200"))


@pytest.fixture
def token(db, make_user):
    # As Django's test client does: the WSGI handler must not close the connection holding the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    build_world(make_user)
    admin = make_user(role="ADMINISTRATOR", username="fuzz.admin", is_staff=True, is_superuser=True)
    yield token_create(user=admin, name="fuzz", actor=admin, occurred_at=NOW).secret
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_does_what_its_openapi_document_says(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
