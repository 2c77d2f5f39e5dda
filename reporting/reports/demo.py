"""Demo annual reports: the 2024 year on the 63 units (history), 2025 on the 34 (approved, last
year's comparison), and the current year with reports in every workflow state. Through the services,
so every transition, notification and figure is what the portal itself would have produced.
Idempotent: a year already seeded is left alone."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from provinces.models import AdministrativeUnit

from ..models import AnnualReport, Notification, ReportField, ReportForm, ReportingPeriod, ReportTransition
from . import services
from .default_form import create_form

DIFFICULTIES = [
    "Kinh phí hỗ trợ đánh giá SXSH còn hạn chế so với nhu cầu của doanh nghiệp.",
    "Doanh nghiệp nhỏ và vừa chưa quan tâm đến lợi ích lâu dài của SXSH.",
    "Thiếu cán bộ chuyên trách; cán bộ kiêm nhiệm nhiều nhiệm vụ.",
    "Sau sắp xếp đơn vị hành chính, việc tổng hợp số liệu của các địa bàn cũ còn chậm.",
]
PROPOSALS = [
    "Đề nghị Bộ tổ chức thêm các lớp tập huấn cho cán bộ Sở và trung tâm khuyến công.",
    "Đề nghị bổ sung tài liệu hướng dẫn kỹ thuật cho ngành chế biến thủy sản.",
    "",
]
# Units of the 34 and the state their current-year report is in (the demo officers' units stay
# draft so that they can fill and submit in the browser).
CURRENT_YEAR_STATES = {
    "01": "returned",
    "79": "approved",
    "31": "submitted",
    "92": "resubmitted",
    "46": "approved",
    "40": "reopened",
    "56": "submitted",
    "48": "draft",
}


def _officer(unit, users_by_unit):
    User = get_user_model()
    officer = users_by_unit.get(unit.pk)
    if officer is None:
        officer, _ = User.objects.get_or_create(
            username=f"demo.sct{unit.code}",
            defaults={
                "role": User.Role.PROVINCE,
                "unit": unit,
                "first_name": "Cán bộ",
                "last_name": f"Sở Công Thương {unit.short_name_vi}",
                "email": f"sct{unit.code}@example.vn",
                "email_notifications": False,
            },
        )
        if officer.has_usable_password():
            officer.set_unusable_password()
            officer.save(update_fields=["password"])
        users_by_unit[unit.pk] = officer
    return officer


def _typed(rng, scale=1.0):
    return {
        "cp_staff": {"value": str(rng.randint(1, 4))},
        "local_budget_vnd": {"value": str(int(rng.randint(50, 400) * 1_000_000 * scale))},
        "enterprises_applying_cp": {"value": str(int(rng.randint(8, 60) * scale))},
        "difficulties": {"value": rng.choice(DIFFICULTIES)},
        "proposals": {"value": rng.choice(PROPOSALS)},
    }


def _submit(report, officer, rng):
    """Fill and submit; where the validation warns, the officer explains it in a comment."""
    report.refresh_from_db()
    services.save_values(by=officer, report=report, version=report.version, data=_typed(rng))
    report.refresh_from_db()
    findings = services.validate(report)
    if findings.warnings:
        services.save_values(
            by=officer,
            report=report,
            version=report.version,
            data={
                code: {"comment": "Số liệu đã được kiểm tra lại với các phòng chuyên môn."}
                for code in findings.warnings
            },
        )
    if findings.errors:  # a figure from records the demo did not foresee: leave the report as a draft
        return report
    return services.submit_report(by=officer, report=report)


def _period(year, form):
    period, _ = ReportingPeriod.objects.get_or_create(
        year=year, defaults={"deadline": datetime.date(year + 1, 1, 31), "form": form}
    )
    return period


@transaction.atomic
def seed_reports(rng: random.Random, *, today: datetime.date | None = None) -> dict:
    today = today or datetime.date.today()
    User = get_user_model()
    ministry = User.objects.filter(role=User.Role.MINISTRY, is_active=True).order_by("pk").first()
    form = create_form(ReportForm, ReportField)
    current_year = today.year if today.month >= 11 else today.year - 1
    users_by_unit = {
        u.unit_id: u for u in User.objects.filter(role=User.Role.PROVINCE, is_active=True).order_by("pk")
    }
    counts = {}

    # history: 2024 on the 63 units (approved), keyed in by the ministry from the paper reports
    old_period = _period(2024, form)
    if not AnnualReport.objects.filter(period=old_period).exists():
        for unit in AdministrativeUnit.objects.of_generation(63).order_by("code")[:63:2]:
            report = services.start_report(by=ministry, unit=unit, period=old_period)
            _seed_direct(report, rng)
        counts[2024] = AnnualReport.objects.filter(period=old_period).count()

    # last year on the 34: approved for most units
    if current_year - 1 >= 2025:
        last = _period(current_year - 1, form)
        if not AnnualReport.objects.filter(period=last).exists():
            for unit in AdministrativeUnit.objects.of_generation(34).order_by("code"):
                if rng.random() < 0.2:
                    continue
                officer = _officer(unit, users_by_unit)
                report = services.start_report(by=officer, unit=unit, period=last)
                report = _submit(report, officer, rng)
                if report.status == AnnualReport.Status.SUBMITTED:
                    services.approve_report(by=ministry, report=report)
            counts[current_year - 1] = AnnualReport.objects.filter(period=last).count()

    # this year: every workflow state
    current = _period(current_year, form)
    if not AnnualReport.objects.filter(period=current).exists():
        units = {u.code: u for u in AdministrativeUnit.objects.of_generation(34)}
        for code, state in CURRENT_YEAR_STATES.items():
            unit = units[code]
            officer = _officer(unit, users_by_unit)
            report = services.start_report(by=officer, unit=unit, period=current)
            if state == "draft":
                continue
            report = _submit(report, officer, rng)
            if report.status != AnnualReport.Status.SUBMITTED:
                continue
            if state in ("returned", "resubmitted"):
                services.return_report(
                    by=ministry,
                    report=report,
                    reason="Đề nghị rà soát lại kinh phí địa phương và bổ sung khó khăn cụ thể.",
                    field_comments={
                        "local_budget_vnd": "Số liệu chưa khớp với báo cáo quyết toán của Sở Tài chính."
                    },
                )
                if state == "resubmitted":
                    report.refresh_from_db()
                    services.save_values(
                        by=officer,
                        report=report,
                        version=report.version,
                        data={
                            "local_budget_vnd": {
                                "value": "210000000",
                                "comment": "Đã đối chiếu với quyết toán.",
                            }
                        },
                    )
                    services.submit_report(by=officer, report=report)
            elif state in ("approved", "reopened"):
                services.approve_report(by=ministry, report=report)
                if state == "reopened":
                    services.reopen_report(
                        by=ministry,
                        report=report,
                        reason="Bổ sung kết quả của mô hình trình diễn mới công nhận.",
                    )
        counts[current_year] = AnnualReport.objects.filter(period=current).count()
    # the demo's notifications stay in the portal: no console full of emails on `make run`
    Notification.objects.filter(emailed_at__isnull=True).update(emailed_at=timezone.now())
    return counts


def _seed_direct(report, rng):
    """A past year's report as the ministry keyed it in from paper: typed values, approved."""
    from ..models import ReportValue

    values = list(report.values.select_related("field"))
    for value in values:
        code = value.field.code
        if value.field.is_filled:
            continue
        if code == "cp_staff":
            value.number = rng.randint(1, 3)
        elif code == "local_budget_vnd":
            value.number = rng.randint(40, 300) * 1_000_000
        elif code == "enterprises_applying_cp":
            value.number = rng.randint(5, 40)
        elif code == "difficulties":
            value.text = rng.choice(DIFFICULTIES)
    ReportValue.objects.bulk_update(values, ["number", "text"])
    now = timezone.now()
    AnnualReport.objects.filter(pk=report.pk).update(
        status=AnnualReport.Status.APPROVED,
        first_submitted_at=now,
        submitted_at=now,
        approved_at=now,
    )
    ReportTransition.objects.create(
        report=report,
        action=ReportTransition.Action.APPROVE,
        from_status=AnnualReport.Status.DRAFT,
        to_status=AnnualReport.Status.APPROVED,
        reason="Nhập từ báo cáo giấy của năm.",
    )
