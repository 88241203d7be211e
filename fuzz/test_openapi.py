"""Schemathesis over the API's OpenAPI document, in process (WSGI): the spec must tell what the API does.

Every operation is sent generated requests, valid by the spec and invalid, as an administrator with a
bearer token over a small world (cooperatives, households, a funded program, a card). A run fails on
any 5xx, a status the operation does not document, a body that does not match the documented schema
or a content type other than the documented one. Run by `make fuzz-api`, not by `make test`.
"""

import os
import zlib

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
from betang.registry.models import Person
from config.wsgi import application
from tests.aid.conftest import PIN, build_world
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
def world(db, make_user):
    """The admin's token and the ids of real rows, which half the generated requests are aimed at."""
    # As Django's test client does: the WSGI handler must not close the connection holding the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    built = build_world(make_user)
    admin = make_user(role="ADMINISTRATOR", username="fuzz.admin", is_staff=True, is_superuser=True)
    home = built.poor[0]
    yield {
        "token": token_create(user=admin, name="fuzz", actor=admin, occurred_at=NOW).secret,
        "org_id": str(built.coop_a.pk),
        "household_id": str(home.pk),
        "person_id": str(Person.objects.filter(household=home).values_list("pk", flat=True).first()),
        "card_number": built.card.number,
        "pin": PIN,
    }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _heads(value) -> bool:
    """A coin that lands the same way for the same generated value (runs are reproducible)."""
    return zlib.crc32(repr(value).encode()) % 2 == 0


def aim(case, world) -> None:
    """Random UUIDs find nothing: aim half the path ids, and half the cards with their PIN, at real rows."""
    for name, value in (case.path_parameters or {}).items():
        if name in world and _heads(value):
            case.path_parameters[name] = world[name]
    body = case.body
    if isinstance(body, dict) and "card_number" in body and _heads(body["card_number"]):
        body.update(card_number=world["card_number"], pin=world["pin"])
        if "cooperative_id" in body:
            body["cooperative_id"] = world["org_id"]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_does_what_its_openapi_document_says(case, world):
    aim(case, world)
    case.call_and_validate(headers={"Authorization": f"Bearer {world['token']}"}, checks=CHECKS)
