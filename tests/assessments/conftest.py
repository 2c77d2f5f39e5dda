import datetime
from decimal import Decimal

import pytest

from assessments import services
from tests.factories import EnterpriseFactory


def option(number=1, **overrides):
    data = {
        "number": number,
        "category": "equipment",
        "description": "Lắp biến tần cho quạt",
        "status": "proposed",
        "investment_vnd": 300_000_000,
        "annual_savings_vnd": 120_000_000,
        "electricity_kwh": Decimal("100000"),
        "coal_t": Decimal("0"),
        "oil_t": Decimal("0"),
        "gas_m3": Decimal("0"),
        "water_m3": Decimal("0"),
        "materials_t": Decimal("0"),
        "chemicals_kg": Decimal("0"),
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_assessment(users, centre, danang):
    """make_assessment(by="centre", **fields): an assessment recorded through the services."""

    def make(by="centre", enterprise=None, options=None, **fields):
        user = users[by]
        data = {
            "kind": "quick",
            "enterprise": enterprise or EnterpriseFactory(unit=danang),
            "centre": centre,
            "funding_level": "local" if by == "province" else "central",
            "start_date": datetime.date(2024, 3, 1),
            "report_date": datetime.date(2024, 4, 1),
        }
        data.update(fields)
        return services.record_assessment(
            by=user,
            data=data,
            baseline=[{"resource": "electricity_kwh", "quantity_per_year": Decimal("2500000")}],
            waste_streams=[
                {
                    "name": "Nước thải nhuộm",
                    "kind": "liquid",
                    "quantity": Decimal("30000"),
                    "unit": "m³",
                    "cost_vnd_per_year": 90_000_000,
                }
            ],
            options=options
            if options is not None
            else [option(1), option(2, category="housekeeping", investment_vnd=0, annual_savings_vnd=0)],
        )

    return make
