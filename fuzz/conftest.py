"""The fuzz suite reuses the test suite's database setup (regions of provinces 62 and 63 loaded)."""

from tests.conftest import django_db_setup, make_user, region_subset_dir  # noqa: F401
