"""Seed values for the conversion factors and grid emission factors. The ministry edits them in the
admin; the loader never overwrites an edited value (it only creates missing rows). Sources are named
per value; ``confirmed=False`` marks what no stored source confirmed."""

from decimal import Decimal

CONVERSION_FACTORS = [
    # resource, TOE per unit, t CO2e per unit, source, confirmed
    (
        "electricity_kwh",
        "0.0001543",
        "0",
        "Circular 25/2020/TT-BCT, Appendix: 1 MWh = 0.1543 TOE (unconfirmed); "
        "electricity's CO2 comes from the grid emission factor of the year",
        False,
    ),
    (
        "coal_t",
        "0.70",
        "2.44",
        "TOE: coal types 1-2, Circular 25/2020/TT-BCT (unconfirmed); CO2: IPCC 2006 "
        "default, other bituminous coal, 94.6 t CO2/TJ x 25.8 TJ/kt (unconfirmed for Vietnamese coal)",
        False,
    ),
    (
        "oil_t",
        "0.99",
        "3.13",
        "TOE: fuel oil (FO), Circular 25/2020/TT-BCT (unconfirmed); CO2: IPCC 2006 default, "
        "residual fuel oil, 77.4 t CO2/TJ x 40.4 TJ/kt (unconfirmed)",
        False,
    ),
    (
        "gas_m3",
        "0.0009",
        "0.00188",
        "TOE: natural gas 0.9 TOE per 1000 m³, Circular 25/2020/TT-BCT (unconfirmed); "
        "CO2: IPCC 2006 default, 56.1 t CO2/TJ at about 0.0336 TJ per 1000 m³ (unconfirmed)",
        False,
    ),
    ("steam_t", "0", "0", "No factor: steam is counted through the fuel that raises it", False),
    ("water_m3", "0", "0", "No energy or emission factor", True),
    ("materials_t", "0", "0", "No energy or emission factor", True),
    ("chemicals_kg", "0", "0", "No energy or emission factor", True),
]

GRID_EMISSION_FACTORS = [
    # year, t CO2 per MWh, source, confirmed
    (
        2018,
        "0.9130",
        "MONRE (Department of Climate Change) announcement of the Vietnam grid EF 2018 (unconfirmed)",
    ),
    (
        2019,
        "0.8458",
        "MONRE (Department of Climate Change) announcement of the Vietnam grid EF 2019 (unconfirmed)",
    ),
    (
        2020,
        "0.8041",
        "MONRE (Department of Climate Change) announcement of the Vietnam grid EF 2020 (unconfirmed)",
    ),
    (
        2021,
        "0.7221",
        "MONRE (Department of Climate Change) announcement of the Vietnam grid EF 2021 (unconfirmed)",
    ),
    (
        2022,
        "0.6766",
        "MONRE (Department of Climate Change) announcement of the Vietnam grid EF 2022 (unconfirmed)",
    ),
    (
        2023,
        "0.6592",
        "MONRE (Department of Climate Change) announcement of the Vietnam grid EF 2023 (unconfirmed)",
    ),
]


def load_factors(ConversionFactor, GridEmissionFactor) -> None:
    for resource, toe, co2e, source, confirmed in CONVERSION_FACTORS:
        ConversionFactor.objects.get_or_create(
            resource=resource,
            defaults={
                "toe_per_unit": Decimal(toe),
                "co2e_tonnes_per_unit": Decimal(co2e),
                "source": source,
                "confirmed": confirmed,
            },
        )
    for year, factor, source in GRID_EMISSION_FACTORS:
        GridEmissionFactor.objects.get_or_create(
            year=year, defaults={"tco2_per_mwh": Decimal(factor), "source": source, "confirmed": False}
        )
