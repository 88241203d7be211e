"""factory_boy factories for the registry: cooperatives, their outlets, households and their members.

Registry rows have no ledger accounts, so these build the rows themselves; everything defaults to
Kapuas' village Sei Pasah (62.03.01.1006) and to the tests' fixed moment."""

from datetime import date

import factory
from faker import Faker

from betang.registry.models import Cooperative, Household, Outlet, Person
from betang.registry.services import matching
from tests.conftest import NOW

fake = Faker("id_ID")
SEI_PASAH = "62.03.01.1006"


class CooperativeFactory(factory.django.DjangoModelFactory):
    """A village's Koperasi Desa Merah Putih, active."""

    class Meta:
        model = Cooperative

    name = factory.Sequence(lambda n: f"KDMP Desa {n}")
    name_key = factory.LazyAttribute(lambda o: o.name.lower())  # unique with the village
    kind = Cooperative.Kind.KDMP
    region_code = SEI_PASAH
    created_at = NOW
    updated_at = NOW


class OutletFactory(factory.django.DjangoModelFactory):
    """A cooperative's grocery outlet (gerai sembako), in the cooperative's village."""

    class Meta:
        model = Outlet

    cooperative = factory.SubFactory(CooperativeFactory)
    name = factory.LazyAttribute(lambda o: f"Gerai {o.cooperative.name}")
    region_code = factory.LazyAttribute(lambda o: o.cooperative.region_code)
    created_at = NOW
    updated_at = NOW


class HouseholdFactory(factory.django.DjangoModelFactory):
    """A household (its KK number unique per test run) with `members` persons (3 unless told)."""

    class Meta:
        model = Household
        skip_postgeneration_save = True

    kk_number = factory.Sequence(lambda n: f"6203019{n:09d}")
    region_code = SEI_PASAH
    latest_decile = 3
    created_at = NOW
    updated_at = NOW

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        count = 3 if extracted is None else extracted
        if create:
            for _ in range(count):
                PersonFactory(household=obj, region_code=obj.region_code, **kwargs)


class PersonFactory(factory.django.DjangoModelFactory):
    """A person with a unique NIK, a Faker id_ID name and the matching keys the importer would give."""

    class Meta:
        model = Person

    nik = factory.Sequence(lambda n: f"6203014{n:09d}")
    name = factory.LazyFunction(fake.name)
    name_key = factory.LazyAttribute(lambda o: matching.name_key(o.name))
    birth_date = factory.LazyFunction(lambda: fake.date_between(date(1950, 1, 1), date(2008, 12, 31)))
    block_key = factory.LazyAttribute(lambda o: matching.block_key(o.region_code, o.birth_date))
    sex = factory.Iterator([Person.Sex.MALE, Person.Sex.FEMALE])
    household = None
    region_code = factory.LazyAttribute(lambda o: o.household.region_code if o.household else SEI_PASAH)
    created_at = NOW
    updated_at = NOW
