"""The suite's list of write paths is the URL conf's: every named URL is a write this suite aims at
another area, one the registry's own tests cover, or a read; a new URL fails here until it is placed."""

from __future__ import annotations

import pytest
from django.urls import get_resolver, resolve
from django.urls.resolvers import URLResolver

from tests.scope.paths import PATHS

pytestmark = pytest.mark.django_db

# Writes covered by tests/registry (test_write_scope, test_role_matrix, test_pages_api_scope).
REGISTRY = {
    "registry:imports",
    "api-v1:person_save",
    "api-v1:org_save",
    "api-v1:cooperative_member_save",
    "api-v1:cooperative_outlet_save",
    "api-v1:person_full_nik",
}
# Reads (GET), a search sent by POST to keep numbers out of URLs, the public balance page (its own
# throttle, no account), the user's own password and language, the API's docs.
READS = {
    "accounts:audit", "accounts:home", "accounts:login", "accounts:logout", "accounts:password_change",
    "aid:bank_statement", "aid:card", "aid:card_sheet", "aid:cards", "aid:cycle", "aid:distribution",
    "aid:enrolments", "aid:program", "aid:programs", "aid:settlement", "aid:settlement_file", "aid:settlements",
    "api-v1:api-root", "api-v1:card_balance", "api-v1:cooperative_members", "api-v1:health",
    "api-v1:household_detail", "api-v1:household_search", "api-v1:household_search_by_body", "api-v1:openapi-json",
    "api-v1:openapi-view", "api-v1:org_detail", "api-v1:org_search", "api-v1:region_detail", "api-v1:village_search",
    "card_balance", "fund:annex", "fund:application", "fund:applications", "fund:bank_statement",
    "fund:business_plan", "fund:cooperative", "fund:fund", "fund:home", "fund:loan", "fund:loans", "fund:portfolio",
    "outlets:home", "outlets:receipt", "outlets:receipt_of_payment", "outlets:report", "outlets:sales_today",
    "outlets:stock", "regions:browser", "regions:detail", "regions:search", "registry:duplicates", "registry:home",
    "registry:household_detail", "registry:households", "registry:import_detail", "registry:import_rejects",
    "registry:import_template", "registry:org_detail", "registry:orgs", "set_language", "web_export_download",
    "web_task_progress",
}  # fmt: skip


def _names(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _names(pattern.url_patterns, pattern.namespace or namespace)
        elif pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_is_a_write_aimed_at_another_area_or_placed(world):
    aimed = set()
    for path in PATHS.values():
        match = resolve(path.url(world).split("?")[0])
        aimed.add(f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name)
    conf = {name for name in _names(get_resolver().url_patterns) if not name.startswith("admin:")}
    assert conf - aimed - REGISTRY - READS == set()
    assert aimed & READS == set()
    assert len(aimed) == 33  # the distinct write doors; PATHS holds each action of each
