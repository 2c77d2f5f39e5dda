"""Reporting periods, report forms, annual reports and their review workflow.

The form is data: a ``ReportForm`` version holds its ``ReportField`` rows (code, labels in Vietnamese
and English, section, type, unit of measure, required, range, and the record metric that fills it).
A report keeps the form version it was started on, so a new version never changes a report.
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = [
    "AnnualReport",
    "Notification",
    "ReminderSent",
    "ReportField",
    "ReportForm",
    "ReportTransition",
    "ReportValue",
    "ReportingPeriod",
]

FIRST_YEAR = 2009
LAST_YEAR_OF_THE_63 = 2024  # reports up to 2024 belong to the 63 units, from 2025 to the 34


class ReportForm(models.Model):
    version = models.PositiveSmallIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("report form")
        verbose_name_plural = _("report forms")

    def __str__(self):
        return f"{self.name} (v{self.version})"


class ReportField(models.Model):
    class Section(models.TextChoices):
        ORGANISATION = "organisation", _("A. Organisation and plans")
        ACTIVITIES = "activities", _("B. Awareness and training")
        ASSESSMENTS = "assessments", _("C. Assessments and technical assistance")
        RESULTS = "results", _("D. Results and savings")
        OTHER = "other", _("E. Difficulties and proposals")

    class Type(models.TextChoices):
        INTEGER = "integer", _("whole number")
        DECIMAL = "decimal", pgettext_lazy("value type", "number")
        BOOLEAN = "boolean", _("yes / no")
        TEXT = "text", _("text")

    form = models.ForeignKey(ReportForm, on_delete=models.CASCADE, related_name="fields")
    code = models.SlugField(_("code"), max_length=60)
    section = models.CharField(
        pgettext_lazy("report form", "section"), max_length=20, choices=Section.choices
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    label_vi = models.CharField(_("label (Vietnamese)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    unit = models.CharField(_("unit of measure (Vietnamese)"), max_length=40, blank=True)
    unit_en = models.CharField(_("unit of measure (English)"), max_length=40, blank=True)
    required = models.BooleanField(_("required"), default=False)
    source = models.CharField(
        _("filled from records"),
        max_length=60,
        blank=True,
        help_text=_("The record metric that fills this field; empty when the officer types it."),
    )
    min_value = models.DecimalField(_("minimum"), max_digits=20, decimal_places=3, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=20, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["form", "section", "order", "id"]
        verbose_name = _("report field")
        verbose_name_plural = _("report fields")
        constraints = [
            models.UniqueConstraint(fields=["form", "code"], name="reportfield_code_unique_per_form"),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(max_value__gte=F("min_value")),
                name="reportfield_range_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.code}: {self.label}"

    @property
    def label(self) -> str:
        return self.label_en if translation.get_language() == "en" else self.label_vi

    @property
    def unit_label(self) -> str:
        """The unit of measure in the reader's language (the Vietnamese one where no English is given)."""
        if translation.get_language() == "en" and self.unit_en:
            return self.unit_en
        return self.unit

    @property
    def is_filled(self) -> bool:
        return bool(self.source)


class ReportingPeriod(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    deadline = models.DateField(_("deadline"))
    form = models.ForeignKey(
        ReportForm, verbose_name=_("form"), on_delete=models.PROTECT, related_name="periods"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_YEAR) & Q(year__lte=2100), name="reportingperiod_year_range"
            ),
            models.CheckConstraint(
                condition=Q(deadline__year__gt=F("year")), name="reportingperiod_deadline_after"
            ),
        ]

    def __str__(self):
        return str(self.year)

    @property
    def generation(self) -> int:
        return 63 if self.year <= LAST_YEAR_OF_THE_63 else 34


class AnnualReportQuerySet(models.QuerySet):
    def for_user(self, user):
        """Ministry and administrators: all. A province officer: their unit's reports and, read-only,
        those of the units it was formed from (history of the 63). Anyone else: none."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_ministry:
            return self
        if user.is_province_officer:
            return self.filter(models.Q(unit_id=user.unit_id) | models.Q(unit__successor_id=user.unit_id))
        return self.none()


EDITABLE_STATUSES = ("draft", "returned", "reopened")


class AnnualReport(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned")
        RESUBMITTED = "resubmitted", _("resubmitted")
        APPROVED = "approved", _("approved")
        REOPENED = "reopened", _("reopened")

    EDITABLE = (Status.DRAFT, Status.RETURNED, Status.REOPENED)
    UNDER_REVIEW = (Status.SUBMITTED, Status.RESUBMITTED)

    unit = models.ForeignKey(
        "provinces.AdministrativeUnit",
        verbose_name=_("province / city"),
        on_delete=models.PROTECT,
        related_name="annual_reports",
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("year"), on_delete=models.PROTECT, related_name="reports"
    )
    form = models.ForeignKey(ReportForm, verbose_name=_("form"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Raised by every save; a save from an older version is refused.")
    )
    filled_at = models.DateTimeField(_("figures refreshed"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    return_reason = models.TextField(_("reason for return"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AnnualReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period__year", "unit__code"]
        permissions = [
            ("review_report", _("Can return, approve and reopen annual reports")),
            ("open_period", _("Can open a reporting year")),
        ]
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        constraints = [
            models.UniqueConstraint(fields=["unit", "period"], name="annualreport_one_per_unit_and_year"),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""), name="annualreport_return_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_at__isnull=False),
                name="annualreport_approval_recorded",
            ),
        ]
        indexes = [models.Index(fields=["period", "status"], name="annualreport_period_status")]

    def __str__(self):
        return f"{self.unit} · {self.period.year}"

    def get_absolute_url(self):
        return reverse("reports:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def is_locked(self) -> bool:
        return not self.is_editable

    @property
    def year(self) -> int:
        return self.period.year


class ReportValue(models.Model):
    report = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="values")
    field = models.ForeignKey(ReportField, on_delete=models.PROTECT, related_name="+")
    number = models.DecimalField(_("value"), max_digits=20, decimal_places=3, null=True, blank=True)
    text = models.TextField(_("value"), blank=True)
    boolean = models.BooleanField(_("value"), null=True, blank=True)
    filled = models.BooleanField(_("filled from records"), default=False)
    source_detail = models.JSONField(_("where it came from"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)

    class Meta:
        ordering = ["field__order", "field_id"]
        verbose_name = _("report value")
        verbose_name_plural = _("report values")
        constraints = [
            models.UniqueConstraint(fields=["report", "field"], name="reportvalue_one_per_field"),
        ]
        # The last line of defence: whatever path writes (a page, the admin, a shell, raw SQL), a
        # submitted or approved report's values and comments cannot change. Only the reviewer's
        # comments may be written, and only the service writes them.
        triggers = [
            pgtrigger.Trigger(
                name="reportvalue_locked",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                func=f"""
                IF (SELECT status FROM reporting_annualreport
                    WHERE id = COALESCE(NEW.report_id, OLD.report_id)) NOT IN {EDITABLE_STATUSES!r}
                   AND (TG_OP <> 'UPDATE'
                        OR NEW.number IS DISTINCT FROM OLD.number
                        OR NEW.text IS DISTINCT FROM OLD.text
                        OR NEW.boolean IS DISTINCT FROM OLD.boolean
                        OR NEW.comment IS DISTINCT FROM OLD.comment
                        OR NEW.filled IS DISTINCT FROM OLD.filled)
                THEN
                    RAISE EXCEPTION 'report % is locked', COALESCE(NEW.report_id, OLD.report_id)
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN COALESCE(NEW, OLD);
                """,
            ),
        ]

    def __str__(self):
        return f"{self.field.code} = {self.display}"

    @property
    def value(self):
        kind = self.field.type
        if kind == ReportField.Type.BOOLEAN:
            return self.boolean
        if kind == ReportField.Type.TEXT:
            return self.text or None
        return self.number

    @property
    def display(self):
        value = self.value
        if value is None:
            return ""
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if self.field.type == ReportField.Type.INTEGER:
            return int(value)
        return value


class ReportTransition(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("created")
        SUBMIT = "submit", _("submitted")
        RETURN = "return", _("returned")
        RESUBMIT = "resubmit", _("resubmitted")
        APPROVE = "approve", _("approved")
        REOPEN = "reopen", _("reopened")

    report = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=AnnualReport.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=AnnualReport.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)
    field_comments = models.JSONField(_("comments per field"), default=dict, blank=True)
    snapshot = models.JSONField(_("values at this step"), default=dict, blank=True)

    class Meta:
        ordering = ["report", "at", "id"]
        verbose_name = _("report transition")
        verbose_name_plural = _("report transitions")

    def __str__(self):
        return f"{self.report} · {self.get_action_display()}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("report submitted")
        RESUBMITTED = "resubmitted", _("report resubmitted")
        RETURNED = "returned", _("report returned")
        APPROVED = "approved", _("report approved")
        REOPENED = "reopened", _("report reopened")
        REMINDER = "reminder", _("deadline reminder")
        OVERDUE = "overdue", _("report overdue")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    report = models.ForeignKey(
        AnnualReport, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The texts in Vietnamese as written; ``params`` keeps what they were made of (year, reason,
    # deadline), so that the page and the email say them in the reader's language.
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)
    # An email is owed: the recipient took emails (and had an address) when it was made. Cleared
    # when it is sent, when the recipient no longer takes them at sending time, or when the
    # reconciler gives up on it; so turning emails on later sends nothing from before.
    email_due = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
            # The reconciler's look for emails owed whose task was lost.
            models.Index(fields=["created_at"], condition=Q(email_due=True), name="notification_email_due"),
        ]

    def __str__(self):
        return self.subject


class ReminderSent(models.Model):
    """One row per user, period, deadline and reminder step: the beat task may run twice, a user
    hears about each step once."""

    class Step(models.TextChoices):
        DAYS_14 = "d14", _("14 days before the deadline")
        DAYS_7 = "d7", _("7 days before the deadline")
        DAYS_1 = "d1", _("1 day before the deadline")
        OVERDUE = "overdue", _("overdue")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="+")
    deadline = models.DateField()
    step = models.CharField(max_length=8, choices=Step.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period", "deadline", "step"], name="remindersent_once_per_step"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} · {self.period_id} · {self.step}"
