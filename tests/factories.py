import factory
from factory.django import DjangoModelFactory
from faker import Faker
from stdnum.vn import mst

from accounts.models import User
from enterprises.models import Centre, Enterprise, Sector
from provinces.models import AdministrativeUnit

fake = Faker("vi_VN")


def ensure_reference_data() -> None:
    """Reference rows come from data migrations; a transactional test flushes them, so tests that
    run after one load them again (idempotent)."""
    from assessments.models import ConversionFactor, GridEmissionFactor
    from assessments.reference_data import load_factors
    from enterprises.reference_data import load_sectors
    from provinces.models import Region
    from provinces.reference_data import load_units

    if not AdministrativeUnit.objects.exists():
        load_units(Region, AdministrativeUnit)
    if not Sector.objects.exists():
        load_sectors(Sector)
    if not ConversionFactor.objects.exists():
        load_factors(ConversionFactor, GridEmissionFactor)


def unit(code: str, generation: int = 34) -> AdministrativeUnit:
    ensure_reference_data()
    return AdministrativeUnit.objects.get(generation=generation, code=code)


_tax_seq = iter(range(100_000_000, 999_999_999))


def next_tax_code() -> str:
    while True:
        body = f"0{next(_tax_seq) % 10**8:08d}"
        check = mst.calc_check_digit(body)
        if len(check) == 1:
            return body + check


class CentreFactory(DjangoModelFactory):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"Trung tâm Khuyến công số {n}")
    kind = Centre.Kind.INDUSTRIAL_EXTENSION
    level = Centre.Level.PROVINCIAL
    unit = factory.LazyFunction(lambda: unit("48"))


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    tax_code = factory.LazyFunction(next_tax_code)
    name = factory.LazyFunction(lambda: f"Công ty TNHH {fake.last_name()} {fake.first_name()}")
    address = factory.LazyFunction(lambda: fake.street_address())
    unit = factory.LazyFunction(lambda: unit("48"))
    sector = factory.LazyFunction(lambda: Sector.objects.get(code="13"))
    size = Enterprise.Size.SMALL


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.MINISTRY
    password = factory.PostGenerationMethodCall("set_password", "pass-for-tests-2025")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
