"""Activities that no other record holds: events, communication products, guidelines and their
distribution.

Events, communication products and guideline distributions belong to a province (an administrative
unit): those of the 63 units until 30 June 2025 are history, new ones go on a unit of the 34. A
province officer sees the records of their unit and, read-only, those of the unit's predecessors.
Demonstration models are not here: they are a flag on ``assessments.Assessment``.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import FundingLevel

__all__ = [
    "ActivityQuerySet",
    "CommunicationProduct",
    "Event",
    "Guideline",
    "GuidelineDistribution",
    "GuidelineQuerySet",
]

# The national CP programme (Decision 1419/QĐ-TTg) began in 2009: nothing is recorded before it.
FIRST_ACTIVITY_DATE = datetime.date(2009, 1, 1)
MAX_PARTICIPANTS = 100_000  # per event: anything above is a typing error
MAX_COUNT = 100_000  # products of one kind and title in one record; copies of one distribution
GUIDELINE_FIRST_YEAR = 1990


def guideline_max_bytes() -> int:
    return getattr(settings, "SXSH_GUIDELINE_MAX_BYTES", 20 * 1024 * 1024)


def validate_pdf(upload) -> None:
    """A guideline file is a PDF: its name ends in .pdf, it starts with ``%PDF-`` and it is not too big."""
    limit = guideline_max_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB."),
            code="file_too_big",
            params={"size": f"{upload.size / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"},
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(5)
    upload.seek(position)
    if head != b"%PDF-":
        raise ValidationError(
            _("This file is not a PDF document (it does not start with %%PDF-). Save it as PDF."),
            code="not_pdf",
        )


def check_activity_date(value: datetime.date | None) -> None:
    if value is None:
        return
    if value < FIRST_ACTIVITY_DATE:
        raise ValidationError(
            _("%(date)s is before %(first)s, when the national cleaner-production programme began."),
            code="date_too_early",
            params={
                "date": formats.date_format(value, "SHORT_DATE_FORMAT"),
                "first": formats.date_format(FIRST_ACTIVITY_DATE, "SHORT_DATE_FORMAT"),
            },
        )
    if value > timezone.localdate():
        raise ValidationError(
            _("%(date)s is in the future: record an activity once it has taken place."),
            code="date_in_future",
            params={"date": formats.date_format(value, "SHORT_DATE_FORMAT")},
        )


class ActivityQuerySet(models.QuerySet):
    def for_user(self, user):
        """Ministry: all. Province officer: their unit and (read-only) its predecessors of the 63.
        Centre users and anyone else: none."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_ministry:
            return self
        if user.is_province_officer:
            return self.filter(Q(unit_id=user.unit_id) | Q(unit__successor_id=user.unit_id))
        return self.none()

    def of_units(self, unit_ids):
        return self.filter(unit_id__in=list(unit_ids))


class UnitActivity(models.Model):
    """What every provincial activity record has: its unit, its date, who entered it and when."""

    unit = models.ForeignKey(
        "provinces.AdministrativeUnit", verbose_name=_("province / city"), on_delete=models.PROTECT
    )
    date = models.DateField(_("date"))
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

    objects = ActivityQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-date", "-id"]

    def clean(self):
        super().clean()
        try:
            check_activity_date(self.date)
        except ValidationError as e:
            raise ValidationError({"date": e}) from None


class Event(UnitActivity):
    """A workshop, seminar, training or conference (hội thảo, tập huấn) held or funded by the province."""

    class Kind(models.TextChoices):
        TRAINING = "training", _("training course")
        WORKSHOP = "workshop", _("workshop")
        SEMINAR = "seminar", _("seminar")
        CONFERENCE = "conference", _("conference")

    unit = models.ForeignKey(
        "provinces.AdministrativeUnit",
        verbose_name=_("province / city"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=500)
    place = models.CharField(_("place"), max_length=255, blank=True)
    organiser = models.CharField(_("organiser"), max_length=255, blank=True)
    participants_enterprise = models.PositiveIntegerField(
        _("participants from enterprises"), default=0, validators=[MaxValueValidator(MAX_PARTICIPANTS)]
    )
    participants_official = models.PositiveIntegerField(
        _("participants from authorities"), default=0, validators=[MaxValueValidator(MAX_PARTICIPANTS)]
    )
    participants_other = models.PositiveIntegerField(
        _("other participants"), default=0, validators=[MaxValueValidator(MAX_PARTICIPANTS)]
    )
    participants_total = models.GeneratedField(
        expression=F("participants_enterprise") + F("participants_official") + F("participants_other"),
        output_field=models.PositiveIntegerField(),
        db_persist=True,
        verbose_name=_("participants"),
    )
    enterprises_reached = models.PositiveIntegerField(
        _("enterprises reached"),
        default=0,
        help_text=_("Distinct enterprises whose staff took part; at most the participants from enterprises."),
    )
    funding_level = models.CharField(
        _("funding level"), max_length=12, choices=FundingLevel.choices, default=FundingLevel.LOCAL
    )

    class Meta(UnitActivity.Meta):
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["unit", "-date", "-id"], name="event_unit_date")]
        constraints = [
            models.CheckConstraint(condition=Q(date__gte=FIRST_ACTIVITY_DATE), name="event_date_from_2009"),
            models.CheckConstraint(
                condition=Q(
                    participants_enterprise__lte=MAX_PARTICIPANTS,
                    participants_official__lte=MAX_PARTICIPANTS,
                    participants_other__lte=MAX_PARTICIPANTS,
                )
                & Q(
                    participants_enterprise__gte=0,
                    participants_official__gte=0,
                    participants_other__gte=0,
                ),
                name="event_participants_plausible",
            ),
            models.CheckConstraint(
                condition=Q(enterprises_reached__lte=F("participants_enterprise")),
                name="event_enterprises_within_participants",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.date:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("activities:event_edit", args=[self.pk])

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as e:
            errors.update(e.update_error_dict({}))
        parts = (self.participants_enterprise, self.participants_official, self.participants_other)
        if all(p is not None for p in parts):
            total = sum(parts)
            if total == 0:
                errors.setdefault("participants_enterprise", []).append(
                    ValidationError(_("An event has at least one participant."), code="no_participants")
                )
            elif total > MAX_PARTICIPANTS:
                errors.setdefault("participants_enterprise", []).append(
                    ValidationError(
                        _("%(total)s participants in one event is not plausible (at most %(max)s)."),
                        code="too_many_participants",
                        params={"total": total, "max": MAX_PARTICIPANTS},
                    )
                )
        if (
            self.enterprises_reached is not None
            and self.participants_enterprise is not None
            and self.enterprises_reached > self.participants_enterprise
        ):
            errors.setdefault("enterprises_reached", []).append(
                ValidationError(
                    _(
                        "%(reached)s enterprises reached but only %(participants)s participants from "
                        "enterprises: each enterprise sends at least one person."
                    ),
                    code="reached_above_participants",
                    params={
                        "reached": self.enterprises_reached,
                        "participants": self.participants_enterprise,
                    },
                )
            )
        if errors:
            raise ValidationError(errors)


class CommunicationProduct(UnitActivity):
    """Articles, broadcasts, publications, videos and web posts about cleaner production."""

    class Kind(models.TextChoices):
        ARTICLE = "article", _("newspaper article")
        BROADCAST = "broadcast", _("radio or TV broadcast")
        PUBLICATION = "publication", _("publication or leaflet")
        VIDEO = "video", _("video")
        WEB_POST = "web_post", _("web post")
        OTHER = "other", _("other")

    unit = models.ForeignKey(
        "provinces.AdministrativeUnit",
        verbose_name=_("province / city"),
        on_delete=models.PROTECT,
        related_name="communication_products",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=500)
    count = models.PositiveIntegerField(
        _("number"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_COUNT)],
        help_text=_("How many (articles, broadcasts, copies printed…) this record stands for."),
    )

    class Meta(UnitActivity.Meta):
        verbose_name = _("communication product")
        verbose_name_plural = _("communication products")
        indexes = [models.Index(fields=["unit", "-date", "-id"], name="commproduct_unit_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(date__gte=FIRST_ACTIVITY_DATE), name="commproduct_date_from_2009"
            ),
            models.CheckConstraint(
                condition=Q(count__gte=1, count__lte=MAX_COUNT), name="commproduct_count_plausible"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("activities:product_edit", args=[self.pk])


class GuidelineQuerySet(models.QuerySet):
    def for_user(self, user):
        """The national library: every logged-in user reads it."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self


class Guideline(models.Model):
    """A technical guideline of the national library (e.g. "Tài liệu hướng dẫn SXSH ngành giấy và bột
    giấy"), edited by the ministry."""

    class Language(models.TextChoices):
        VI = "vi", _("Vietnamese")
        EN = "en", _("English")

    title = models.CharField(_("title"), max_length=500)
    sector = models.ForeignKey(
        "enterprises.Sector",
        verbose_name=_("sector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="guidelines",
    )
    issuer = models.CharField(_("issuer"), max_length=255, blank=True)
    year = models.PositiveSmallIntegerField(_("year"))
    file = models.FileField(
        _("file (PDF)"),
        upload_to="guidelines/%Y/",
        blank=True,
        validators=[FileExtensionValidator(["pdf"]), validate_pdf],
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.VI)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = GuidelineQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("technical guideline")
        verbose_name_plural = _("technical guidelines")
        constraints = [
            models.UniqueConstraint(fields=["title", "year"], name="guideline_title_year_unique"),
            models.CheckConstraint(
                condition=Q(year__gte=GUIDELINE_FIRST_YEAR), name="guideline_year_plausible"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.year})"

    def get_absolute_url(self):
        return reverse("activities:guideline_edit", args=[self.pk])

    def clean(self):
        super().clean()
        if self.year is not None and not GUIDELINE_FIRST_YEAR <= self.year <= timezone.localdate().year:
            raise ValidationError(
                {
                    "year": _("Expected a year from %(first)s to %(last)s.")
                    % {"first": GUIDELINE_FIRST_YEAR, "last": timezone.localdate().year}
                }
            )


class GuidelineDistribution(UnitActivity):
    """Copies of a guideline that the province handed out (to enterprises, districts, associations)."""

    unit = models.ForeignKey(
        "provinces.AdministrativeUnit",
        verbose_name=_("province / city"),
        on_delete=models.PROTECT,
        related_name="guideline_distributions",
    )
    guideline = models.ForeignKey(
        Guideline, verbose_name=_("guideline"), on_delete=models.PROTECT, related_name="distributions"
    )
    copies = models.PositiveIntegerField(
        _("copies"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_COUNT)]
    )
    recipients = models.TextField(_("recipients"), blank=True)

    class Meta(UnitActivity.Meta):
        verbose_name = _("guideline distribution")
        verbose_name_plural = _("guideline distributions")
        indexes = [models.Index(fields=["unit", "-date", "-id"], name="distribution_unit_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(date__gte=FIRST_ACTIVITY_DATE), name="distribution_date_from_2009"
            ),
            models.CheckConstraint(
                condition=Q(copies__gte=1, copies__lte=MAX_COUNT), name="distribution_copies_plausible"
            ),
        ]

    def __str__(self):
        return f"{self.guideline.title} · {self.copies}"

    def get_absolute_url(self):
        return reverse("activities:distribution_edit", args=[self.pk])
