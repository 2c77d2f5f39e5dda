"""Quick (đánh giá nhanh) and detailed (đánh giá chi tiết) cleaner-production assessments, with their
baseline consumption, waste streams and CP options (giải pháp SXSH).

Derived figures are never typed: simple payback is a generated column (investment / annual
savings); energy in TOE and CO2e of an option are computed in bulk SQL from the conversion factors
and the grid emission factor of the year (``services.refresh_option_derivations``), which the
ministry maintains as reference data.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Case, F, Value, When
from django.db.models.functions import Cast, Round
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

MAX_VND = 10**15  # a thousand trillion đồng: anything above is a typing error


class FundingLevel(models.TextChoices):
    CENTRAL = "central", _("central programme (national industrial extension)")
    LOCAL = "local", _("local budget (local industrial extension)")
    DONOR = "donor", _("donor")
    ENTERPRISE = "enterprise", _("enterprise's own funds")


class Resource(models.TextChoices):
    """Baseline resources, each with its unit of measure in the key."""

    ELECTRICITY_KWH = "electricity_kwh", _("electricity (kWh)")
    COAL_T = "coal_t", _("coal (t)")
    OIL_T = "oil_t", _("oil (t)")
    GAS_M3 = "gas_m3", _("gas (m³)")
    STEAM_T = "steam_t", _("steam (t)")
    WATER_M3 = "water_m3", _("water (m³)")
    CHEMICALS_KG = "chemicals_kg", _("chemicals (kg)")
    MATERIALS_T = "materials_t", _("materials (t)")


class AssessmentQuerySet(models.QuerySet):
    def real(self):
        """Real data only: what every page, list, export, count and rollup reads."""
        return self.filter(is_sandbox=False)

    def for_user(self, user):
        """A sandbox API key: its centre's sandbox assessments and nothing else. Everyone else sees
        real data only: the ministry all; a centre user their centre's assessments; a province
        officer assessments of enterprises in their unit; anyone else none."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if getattr(user, "is_sandbox", False):
            return self.filter(is_sandbox=True, centre_id=user.centre_id)
        real = self.real()
        if user.is_ministry:
            return real
        if user.is_centre_user:
            return real.filter(centre_id=user.centre_id)
        if user.is_province_officer:
            return real.filter(enterprise__unit_id=user.unit_id)
        return self.none()


@pghistory.track()
class Assessment(models.Model):
    class Kind(models.TextChoices):
        QUICK = "quick", _("quick assessment")
        DETAILED = "detailed", _("detailed assessment")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        ACCEPTED = "accepted", _("accepted")
        RETURNED = "returned", _("returned")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    centre = models.ForeignKey(
        "enterprises.Centre",
        verbose_name=_("centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        help_text=_("Empty for an assessment the province carried out or funded without a centre."),
    )
    funding_level = models.CharField(_("funding level"), max_length=12, choices=FundingLevel.choices)
    funding_source = models.CharField(_("funding source"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    report_date = models.DateField(_("report date"), null=True, blank=True)
    focus = models.CharField(_("focus (process or workshop studied)"), max_length=255, blank=True)
    production_volume = models.DecimalField(
        _("production per year"), max_digits=18, decimal_places=3, null=True, blank=True
    )
    production_unit = models.CharField(_("production unit"), max_length=30, blank=True)
    detailed_advised = models.BooleanField(
        _("detailed assessment advised"),
        null=True,
        blank=True,
        help_text=_("For a quick assessment: whether a detailed assessment is advised."),
    )
    external_id = models.CharField(
        _("centre's reference"),
        max_length=64,
        blank=True,
        help_text=_("The centre's own identifier for this assessment; unique for the centre."),
    )
    demonstration_model = models.BooleanField(_("demonstration model"), default=False)
    is_sandbox = models.BooleanField(
        _("sandbox"),
        default=False,
        editable=False,
        help_text=_("Written with a sandbox API key: test data, seen only by that centre's sandbox keys."),
    )
    demonstration_date = models.DateField(_("demonstration model since"), null=True, blank=True)
    demonstration_description = models.CharField(_("demonstration model"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    return_reason = models.TextField(_("reason for return"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        indexes = [
            models.Index(fields=["-start_date", "-id"], name="assessment_start_id"),
            models.Index(fields=["centre", "-start_date", "-id"], name="assessment_centre_start"),
            models.Index(fields=["status"], name="assessment_status"),
            # Clearing a centre's sandbox and the sandbox key's lists read only these few rows.
            models.Index(
                fields=["centre", "-id"],
                condition=models.Q(is_sandbox=True),
                name="assessment_sandbox_centre",
            ),
        ]
        constraints = [
            # A sandbox reference never blocks the same reference in real data, and vice versa.
            models.UniqueConstraint(
                fields=["centre", "is_sandbox", "external_id"],
                condition=~models.Q(external_id=""),
                name="assessment_external_id_unique_per_centre",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=F("start_date")),
                name="assessment_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(production_volume__isnull=True) | models.Q(production_volume__gte=0),
                name="assessment_production_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="returned") | ~models.Q(return_reason=""),
                name="assessment_return_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(is_sandbox=False) | models.Q(centre__isnull=False),
                name="assessment_sandbox_has_centre",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.enterprise} · {self.start_date:%Y}"

    def get_absolute_url(self):
        return reverse("assessments:detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.ACCEPTED


@pghistory.track()
class BaselineConsumption(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="baseline")
    resource = models.CharField(_("resource"), max_length=20, choices=Resource.choices)
    quantity_per_year = models.DecimalField(_("quantity per year"), max_digits=18, decimal_places=3)
    per_unit_product = models.DecimalField(
        _("per unit of product"), max_digits=18, decimal_places=6, null=True, blank=True
    )

    class Meta:
        ordering = ["assessment", "resource"]
        verbose_name = _("baseline consumption")
        verbose_name_plural = _("baseline consumption")

        constraints = [
            models.UniqueConstraint(fields=["assessment", "resource"], name="baseline_resource_once"),
            models.CheckConstraint(
                condition=models.Q(quantity_per_year__gte=0), name="baseline_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(per_unit_product__isnull=True) | models.Q(per_unit_product__gte=0),
                name="baseline_per_unit_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.get_resource_display()}: {self.quantity_per_year}"


@pghistory.track()
class WasteStream(models.Model):
    class Kind(models.TextChoices):
        SOLID = "solid", _("solid")
        LIQUID = "liquid", _("liquid")
        GAS = "gas", _("gas")
        HEAT = "heat", _("heat")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="waste_streams")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    quantity = models.DecimalField(
        _("quantity per year"), max_digits=18, decimal_places=3, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    cost_vnd_per_year = models.BigIntegerField(_("cost (VND/year)"), null=True, blank=True)

    class Meta:
        ordering = ["assessment", "id"]
        verbose_name = _("waste stream")
        verbose_name_plural = _("waste streams")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__isnull=True) | models.Q(quantity__gte=0),
                name="waste_quantity_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(cost_vnd_per_year__isnull=True)
                | models.Q(cost_vnd_per_year__gte=0, cost_vnd_per_year__lte=MAX_VND),
                name="waste_cost_plausible",
            ),
        ]

    def __str__(self):
        return self.name


@pghistory.track()
class CPOption(models.Model):
    class Category(models.TextChoices):
        # The eight UNEP/UNIDO cleaner-production techniques.
        GOOD_HOUSEKEEPING = "housekeeping", _("good housekeeping")
        INPUT_CHANGE = "input_change", _("input material change")
        PROCESS_CONTROL = "process_control", _("better process control")
        EQUIPMENT_MODIFICATION = "equipment", _("equipment modification")
        TECHNOLOGY_CHANGE = "technology", _("technology change")
        ONSITE_RECOVERY = "recovery", _("on-site recovery and reuse")
        BY_PRODUCTS = "by_products", _("production of useful by-products")
        PRODUCT_MODIFICATION = "product", _("product modification")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        STUDY = "study", _("needs more study")
        IMPLEMENTED = "implemented", _("implemented")
        REJECTED = "rejected", _("rejected")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="options")
    number = models.PositiveSmallIntegerField(_("number"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.CharField(_("description"), max_length=500)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    implemented_on = models.DateField(_("implemented on"), null=True, blank=True)
    investment_vnd = models.BigIntegerField(_("investment (VND)"), default=0)
    annual_savings_vnd = models.BigIntegerField(_("annual savings (VND/year)"), default=0)
    electricity_kwh = models.DecimalField(
        _("electricity saved (kWh/year)"), max_digits=18, decimal_places=3, default=0
    )
    coal_t = models.DecimalField(_("coal saved (t/year)"), max_digits=18, decimal_places=3, default=0)
    oil_t = models.DecimalField(_("oil saved (t/year)"), max_digits=18, decimal_places=3, default=0)
    gas_m3 = models.DecimalField(_("gas saved (m³/year)"), max_digits=18, decimal_places=3, default=0)
    water_m3 = models.DecimalField(_("water saved (m³/year)"), max_digits=18, decimal_places=3, default=0)
    materials_t = models.DecimalField(
        _("materials saved (t/year)"), max_digits=18, decimal_places=3, default=0
    )
    chemicals_kg = models.DecimalField(
        _("chemicals saved (kg/year)"), max_digits=18, decimal_places=3, default=0
    )
    # Derived in bulk from the reference factors (never typed):
    energy_toe = models.DecimalField(
        _("energy saved (TOE/year)"), max_digits=18, decimal_places=4, default=0, editable=False
    )
    co2e_tonnes = models.DecimalField(
        _("CO2e avoided (t/year)"), max_digits=18, decimal_places=4, default=0, editable=False
    )
    payback_years = models.GeneratedField(
        expression=Case(
            When(
                annual_savings_vnd__gt=0,
                then=Round(
                    Cast(F("investment_vnd"), models.DecimalField(max_digits=30, decimal_places=6))
                    / Cast(F("annual_savings_vnd"), models.DecimalField(max_digits=30, decimal_places=6)),
                    2,
                ),
            ),
            default=Value(None),
            output_field=models.DecimalField(max_digits=12, decimal_places=2),
        ),
        output_field=models.DecimalField(max_digits=12, decimal_places=2),
        db_persist=True,
        verbose_name=_("simple payback (years)"),
    )

    class Meta:
        ordering = ["assessment", "number"]
        verbose_name = _("CP option")
        verbose_name_plural = _("CP options")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "number"], name="option_number_once"),
            models.CheckConstraint(
                condition=models.Q(investment_vnd__gte=0, investment_vnd__lte=MAX_VND)
                & models.Q(annual_savings_vnd__gte=0, annual_savings_vnd__lte=MAX_VND),
                name="option_money_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    electricity_kwh__gte=0,
                    coal_t__gte=0,
                    oil_t__gte=0,
                    gas_m3__gte=0,
                    water_m3__gte=0,
                    materials_t__gte=0,
                    chemicals_kg__gte=0,
                ),
                name="option_savings_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(implemented_on__isnull=True) | models.Q(status="implemented"),
                name="option_implemented_date_only_when_implemented",
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.description}"


class ConversionFactor(models.Model):
    """Energy (TOE) and emission (t CO2e) per unit of a saved resource; edited by the ministry.
    Electricity's emission comes from GridEmissionFactor instead (it changes every year)."""

    resource = models.CharField(_("resource"), max_length=20, choices=Resource.choices, unique=True)
    toe_per_unit = models.DecimalField(_("TOE per unit"), max_digits=14, decimal_places=8)
    co2e_tonnes_per_unit = models.DecimalField(_("t CO2e per unit"), max_digits=14, decimal_places=8)
    source = models.CharField(_("source"), max_length=300)
    confirmed = models.BooleanField(
        _("confirmed"), default=False, help_text=_("Unticked: no stored source confirmed the value.")
    )

    class Meta:
        ordering = ["resource"]
        verbose_name = _("conversion factor")
        verbose_name_plural = _("conversion factors")

    def __str__(self):
        return self.get_resource_display()


class GridEmissionFactor(models.Model):
    """Vietnam's electricity grid emission factor for a year (t CO2 per MWh)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    tco2_per_mwh = models.DecimalField(_("t CO2 per MWh"), max_digits=8, decimal_places=4)
    source = models.CharField(_("source"), max_length=300)
    confirmed = models.BooleanField(_("confirmed"), default=False)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("grid emission factor")
        verbose_name_plural = _("grid emission factors")

    def __str__(self):
        return f"{self.year}: {self.tco2_per_mwh}"


class DeletedAssessment(models.Model):
    """A withdrawn assessment, kept so that a centre mirroring its data can delete it too
    (``/api/v1/deletions/``)."""

    assessment_id = models.BigIntegerField(_("assessment id"))
    external_id = models.CharField(_("centre's reference"), max_length=64, blank=True)
    centre = models.ForeignKey(
        "enterprises.Centre",
        verbose_name=_("centre"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    unit = models.ForeignKey(
        "provinces.AdministrativeUnit",
        verbose_name=_("province / city"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("deleted at"), auto_now_add=True, db_index=True)
    is_sandbox = models.BooleanField(_("sandbox"), default=False, editable=False)

    class Meta:
        ordering = ["-deleted_at", "-id"]
        verbose_name = _("withdrawn assessment")
        verbose_name_plural = _("withdrawn assessments")

    def __str__(self):
        return f"{self.assessment_id} ({self.external_id})"
