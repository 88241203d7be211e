"""Shared fixtures: a small real geography (two provinces) loaded once per test database, and users."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest
from django.utils import timezone

from betang.regions.services import DATA_DIR, regions_load
from tests.factories.accounts import UserFactory

TEST_PROVINCES = ("62", "63")  # Kalimantan Tengah and Kalimantan Selatan
NOW = timezone.make_aware(timezone.datetime(2026, 11, 21, 9, 0))


def write_region_subset(target: Path, provinces=TEST_PROVINCES) -> Path:
    """Copy the vendored reference files, keeping only the given provinces, as plain CSV."""
    target.mkdir(parents=True, exist_ok=True)
    for stem in ("provinces", "regencies", "districts", "villages"):
        with (
            gzip.open(DATA_DIR / f"{stem}.csv.gz", "rt", encoding="utf-8", newline="") as src,
            open(target / f"{stem}.csv", "w", encoding="utf-8", newline="") as dst,
        ):
            reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\n")
            writer.writerow(next(reader))
            for row in reader:
                if row[0].split(".")[0] in provinces:
                    writer.writerow(row)
    return target


@pytest.fixture(scope="session")
def region_subset_dir(tmp_path_factory) -> Path:
    return write_region_subset(tmp_path_factory.mktemp("regions"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, region_subset_dir):
    """Every test database starts with provinces 62 and 63 loaded, as the real loader loads them."""
    with django_db_blocker.unblock():
        regions_load(occurred_at=NOW, source_dir=region_subset_dir)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def make_user(db):
    def make(role="ADMINISTRATOR", scope="", **kwargs):
        return UserFactory(role=role, scope_region_code=scope, **kwargs)

    return make


@pytest.fixture
def kapuas_officer(make_user):
    return make_user(role="REGENCY_OFFICER", scope="62.03", username="kab.kapuas")


@pytest.fixture
def palangkaraya_officer(make_user):
    return make_user(role="REGENCY_OFFICER", scope="62.71", username="kota.palangkaraya")


@pytest.fixture
def national_admin(make_user):
    return make_user(role="ADMINISTRATOR", scope="", username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def committed_regions(transactional_db, region_subset_dir):
    """For transactional tests: the subset is present even after an earlier test flushed the tables."""
    regions_load(occurred_at=NOW, source_dir=region_subset_dir)
