"""Administrative units in two generations: the 63 in force until 30 June 2025 and the 34 from
1 July 2025 (Resolution 202/2025/QH15). A unit is identified by (generation, code), never by code
alone: "80" was Long An and is now Tây Ninh."""

import datetime
import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The day the 34 units took over from the 63 (Resolution 202/2025/QH15).
REFORM_DATE = datetime.date(2025, 7, 1)
LAST_DAY_OF_63 = datetime.date(2025, 6, 30)


class Generation(models.IntegerChoices):
    UNITS_63 = 63, _("63 units (until 30/06/2025)")
    UNITS_34 = 34, _("34 units (from 01/07/2025)")


CURRENT_GENERATION = Generation.UNITS_34


class Region(models.Model):
    """A socio-economic region (Resolution 81/2023/QH15 names six for the 63 units)."""

    key = models.SlugField(_("key"), max_length=20, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name_en if get_language() == "en" else self.name_vi


class UnitQuerySet(models.QuerySet):
    def of_generation(self, generation):
        return self.filter(generation=generation)

    def current(self):
        return self.filter(generation=CURRENT_GENERATION)

    def in_force_on(self, day: datetime.date):
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=day),
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day),
        )

    def usable_by(self, user):
        """Units a user may attach new data to: current ones, and for a province officer only theirs."""
        qs = self.current()
        if getattr(user, "is_ministry", False):
            return qs
        if getattr(user, "is_province_officer", False):
            return qs.filter(pk=user.unit_id)
        return qs.none()


class AdministrativeUnit(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("centrally-run city")

    generation = models.PositiveSmallIntegerField(_("generation"), choices=Generation.choices)
    code = models.CharField(_("code"), max_length=2)
    name_vi = models.CharField(_("full name (Vietnamese)"), max_length=100)
    short_name_vi = models.CharField(_("short name (Vietnamese)"), max_length=60)
    name_en = models.CharField(_("full name (English)"), max_length=100)
    short_name_en = models.CharField(_("short name (English)"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="units"
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessors",
        help_text=_("For a unit of the 63: the unit of the 34 that took it over on 01/07/2025."),
    )
    phone_area_code = models.CharField(_("phone area code"), max_length=4, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["-generation", "code"]
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        constraints = [
            models.UniqueConstraint(fields=["generation", "code"], name="unit_generation_code_unique"),
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{2}$"), name="unit_code_two_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(successor__isnull=True) | models.Q(generation=Generation.UNITS_63),
                name="unit_only_old_units_have_successor",
            ),
        ]

    def __str__(self):
        return self.short_name

    @property
    def short_name(self) -> str:
        return self.short_name_en if get_language() == "en" else self.short_name_vi

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" else self.name_vi

    @property
    def is_current(self) -> bool:
        return self.generation == CURRENT_GENERATION

    def is_in_force_on(self, day: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


# --- CP focal points and provincial plans ------------------------------------------------------------


class DateRange(models.Func):
    """PostgreSQL ``daterange(lower, upper, '[]')``: both ends inclusive, a NULL end is open."""

    function = "daterange"
    output_field = DateRangeField()


PHONE_VALIDATOR = RegexValidator(
    # Vietnamese numbers: 0 or +84, then 9 digits (mobile) or 10 (landline with its area code);
    # spaces, dots, dashes and brackets are allowed between the digits.
    regex=r"^\(?(?:\+84|0)[\s.\-()]*(?:\d[\s.\-()]*){9,10}$",
    message=_("Enter a Vietnamese phone number, e.g. 0236 3822 222 or +84 905 123 456."),
)


class FocalPointQuerySet(models.QuerySet):
    def for_user(self, user):
        """Ministry and administrators: all. A province officer: their unit and its predecessors
        among the 63 (history, read-only). Everyone else: nothing."""
        if getattr(user, "is_ministry", False):
            return self
        if getattr(user, "is_province_officer", False):
            return self.filter(models.Q(unit_id=user.unit_id) | models.Q(unit__successor_id=user.unit_id))
        return self.none()

    def in_office_on(self, day: datetime.date):
        return self.filter(models.Q(until__isnull=True) | models.Q(until__gte=day), since__lte=day)


class FocalPoint(models.Model):
    """A unit's cleaner-production focal point (đầu mối SXSH) for a period; past ones are kept."""

    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("province / city"),
        on_delete=models.PROTECT,
        related_name="focal_points",
    )
    person_name = models.CharField(_("full name"), max_length=120)
    position = models.CharField(_("position"), max_length=120, blank=True)
    department = models.CharField(
        _("department"),
        max_length=200,
        help_text=_("E.g. Phòng Kỹ thuật an toàn - Môi trường, Sở Công Thương."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[PHONE_VALIDATOR])
    email = models.EmailField(_("email"), blank=True)
    since = models.DateField(_("in office since"))
    until = models.DateField(
        _("in office until"),
        null=True,
        blank=True,
        help_text=_("Last day in office; empty: still in office."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = FocalPointQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "-since"]
        verbose_name = _("CP focal point")
        verbose_name_plural = _("CP focal points")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("since")),
                name="focal_point_until_after_since",
                violation_error_message=_("The last day in office cannot be before the first."),
            ),
            ExclusionConstraint(
                name="focal_point_no_overlap",
                expressions=[
                    ("unit", RangeOperators.EQUAL),
                    (DateRange("since", "until", models.Value("[]")), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_(
                    "This period overlaps another focal point of the same province or city; "
                    "a unit has one focal point at a time."
                ),
            ),
        ]
        indexes = [models.Index(fields=["unit", "since"], name="focal_point_unit_since")]

    def __str__(self):
        return f"{self.person_name} ({self.unit})"

    @property
    def is_in_office(self) -> bool:
        from django.utils import timezone

        return self.is_in_office_on(timezone.localdate())

    def is_in_office_on(self, day: datetime.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)

    def clean(self):
        errors = {}
        if self.since and self.until and self.until < self.since:
            errors["until"] = _("The last day in office cannot be before the first.")
        unit = self.unit if self.unit_id else None
        if unit is not None and self.since:
            errors.update(_period_outside_unit(unit, self.since, self.until, "since", "until"))
        if errors:
            raise ValidationError(errors)


def _period_outside_unit(unit, start, end, start_field, end_field) -> dict:
    """Errors when ``start``..``end`` is not within the unit's validity (a unit of the 63 ceased on
    30/06/2025, one of the 34 began on 01/07/2025)."""
    errors = {}
    if unit.valid_from and start < unit.valid_from:
        errors[start_field] = _("%(unit)s exists only from %(date)s.") % {
            "unit": unit.name,
            "date": formats.date_format(unit.valid_from, "SHORT_DATE_FORMAT"),
        }
    if unit.valid_to and (end is None or end > unit.valid_to):
        errors[end_field] = _("%(unit)s ceased on %(date)s: give a last day on or before it.") % {
            "unit": unit.name,
            "date": formats.date_format(unit.valid_to, "SHORT_DATE_FORMAT"),
        }
    return errors


class PlanKind(models.TextChoices):
    CP = "cp", _("Cleaner production plan (SXSH)")
    SCP = "scp", _("Sustainable consumption and production plan (SXTDBV)")
    COMBINED = "combined", _("Combined SXSH and SXTDBV plan")


class PlanPeriod(models.TextChoices):
    # The periods of the national programmes a provincial plan implements: the CP Strategy
    # (Decision 1419/QĐ-TTg, 2009) to 2015 and 2016-2020, then the SCP programme 2021-2030
    # (Decision 889/QĐ-TTg, 2020) split into five-year plans.
    P2009_2015 = "2009-2015", "2009–2015"
    P2016_2020 = "2016-2020", "2016–2020"
    P2021_2025 = "2021-2025", "2021–2025"
    P2026_2030 = "2026-2030", "2026–2030"

    @classmethod
    def years(cls, period: str) -> tuple[int, int]:
        first, last = str(period).split("-")
        return int(first), int(last)

    @classmethod
    def covering(cls, year: int) -> list[str]:
        return [p for p in cls.values if cls.years(p)[0] <= year <= cls.years(p)[1]]


def plan_file_path(instance, filename: str) -> str:
    # A random name: the file is served only through the scoped download view, never by its path.
    return f"plans/{uuid.uuid4().hex}.pdf"


def plan_file_max_bytes() -> int:
    return int(getattr(settings, "SXSH_PLAN_FILE_MAX_MB", 10)) * 1024 * 1024


def validate_plan_file(file) -> None:
    """The signed plan must be a PDF: the extension and the ``%PDF-`` signature, within the size
    limit (SXSH_PLAN_FILE_MAX_MB)."""
    if not file:
        return
    # A stored file that was not replaced has been checked when it was uploaded.
    if isinstance(file, FieldFile) and file._committed:
        return
    name = getattr(file, "name", "") or ""
    if not name.lower().endswith(".pdf"):
        raise ValidationError(_("The signed plan must be a PDF file (.pdf)."), code="not_pdf")
    limit = plan_file_max_bytes()
    if file.size > limit:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{file.size / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"},
            code="too_big",
        )
    file.seek(0)
    head = file.read(5)
    file.seek(0)
    if head != b"%PDF-":
        raise ValidationError(
            _("%(name)s is not a PDF document, although its name ends in .pdf.") % {"name": name},
            code="not_pdf",
        )


class PlanQuerySet(models.QuerySet):
    def for_user(self, user):
        """Same scope as focal points: the ministry all, an officer their unit and its predecessors."""
        if getattr(user, "is_ministry", False):
            return self
        if getattr(user, "is_province_officer", False):
            return self.filter(models.Q(unit_id=user.unit_id) | models.Q(unit__successor_id=user.unit_id))
        return self.none()


class Plan(models.Model):
    """A provincial plan or programme (kế hoạch / chương trình SXSH or SXTDBV) and its signed file."""

    Kind = PlanKind
    Period = PlanPeriod

    unit = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("province / city"), on_delete=models.PROTECT, related_name="plans"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PlanKind.choices, default=PlanKind.CP)
    number = models.CharField(_("document number"), max_length=60, help_text=_("E.g. 1234/QĐ-UBND."))
    issued_on = models.DateField(_("issued on"))
    issuer = models.CharField(_("issued by"), max_length=200, help_text=_("E.g. UBND tỉnh Quảng Nam."))
    title = models.CharField(_("title"), max_length=500)
    period = models.CharField(_("programme period"), max_length=9, choices=PlanPeriod.choices)
    file = models.FileField(
        _("signed file (PDF)"),
        upload_to=plan_file_path,
        blank=True,
        validators=[validate_plan_file],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "period", "issued_on"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "number", "issued_on"],
                name="plan_unit_number_date_unique",
                violation_error_message=_(
                    "This province or city already has a plan with this number and date."
                ),
            ),
        ]
        indexes = [models.Index(fields=["period", "issued_on"], name="plan_period_issued")]

    def __str__(self):
        return f"{self.number} ({self.unit})"

    def get_absolute_url(self):
        return reverse("provinces:plan_detail", args=[self.pk])

    @property
    def years(self) -> tuple[int, int]:
        return PlanPeriod.years(self.period)

    @property
    def download_name(self) -> str:
        # "1234/QĐ-UBND" -> "1234-qd-ubnd.pdf" (ASCII: slugify drops Đ, which has no decomposition)
        ascii_number = self.number.replace("/", "-").replace("Đ", "D").replace("đ", "d")
        return f"{slugify(ascii_number) or 'ke-hoach'}.pdf"

    def clean(self):
        errors = {}
        if self.unit_id and self.issued_on:
            if self.unit.valid_from and self.issued_on < self.unit.valid_from:
                errors["issued_on"] = _("%(unit)s exists only from %(date)s.") % {
                    "unit": self.unit.name,
                    "date": formats.date_format(self.unit.valid_from, "SHORT_DATE_FORMAT"),
                }
            elif self.unit.valid_to and self.issued_on > self.unit.valid_to:
                errors["issued_on"] = _("%(unit)s ceased on %(date)s.") % {
                    "unit": self.unit.name,
                    "date": formats.date_format(self.unit.valid_to, "SHORT_DATE_FORMAT"),
                }
        if self.period and self.issued_on and self.issued_on.year > PlanPeriod.years(self.period)[1]:
            errors.setdefault(
                "issued_on",
                _("A plan for %(period)s cannot be issued after that period.")
                % {"period": self.get_period_display()},
            )
        if errors:
            raise ValidationError(errors)


class PlanTarget(models.Model):
    """A structured target of a plan: what, how much, in which unit, by which year."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="targets")
    description = models.CharField(_("target"), max_length=300)
    target_value = models.DecimalField(
        _("target value"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    unit_of_measure = models.CharField(
        _("unit of measure"), max_length=40, help_text=_("E.g. %, enterprises.")
    )
    target_year = models.PositiveSmallIntegerField(_("target year"))

    class Meta:
        ordering = ["plan", "target_year", "id"]
        verbose_name = _("plan target")
        verbose_name_plural = _("plan targets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_value__gte=0), name="plan_target_value_not_negative"
            ),
        ]

    def __str__(self):
        return self.description

    def clean(self):
        if self.plan_id and self.target_year:
            check_target_year(self.plan.period, self.target_year)


def check_target_year(period: str, year: int) -> None:
    first, last = PlanPeriod.years(period)
    if not first <= year <= last:
        raise ValidationError(
            {
                "target_year": _("The target year must be within the plan's period, %(first)s–%(last)s.")
                % {"first": first, "last": last}
            }
        )
