"""Predicates for actions ("may I"), checked after scoping ("what do I see")."""

import rules


@rules.predicate
def is_ministry(user):
    return getattr(user, "is_ministry", False)


@rules.predicate
def is_administrator(user):
    return getattr(user, "is_administrator", False)


@rules.predicate
def is_province_officer(user):
    return getattr(user, "is_province_officer", False)


@rules.predicate
def is_centre_user(user):
    return getattr(user, "is_centre_user", False)


@rules.predicate
def officer_of_objects_unit(user, obj):
    return obj is not None and getattr(user, "is_province_officer", False) and obj.unit_id == user.unit_id


rules.add_perm("enterprises.view_enterprise", is_ministry | is_province_officer | is_centre_user)
rules.add_perm("enterprises.add_enterprise", is_ministry | is_province_officer)
rules.add_perm("enterprises.change_enterprise", is_ministry | officer_of_objects_unit)
rules.add_perm("enterprises.lookup_enterprise", is_ministry | is_province_officer | is_centre_user)
rules.add_perm("enterprises.change_centre", is_administrator)
rules.add_perm("provinces.change_administrativeunit", is_administrator)


@rules.predicate
def assessment_in_scope_and_open(user, assessment):
    from assessments.models import Assessment

    if assessment is None or assessment.is_locked:
        return False
    if not Assessment.objects.for_user(user).filter(pk=assessment.pk).exists():
        return False
    return not (getattr(user, "is_province_officer", False) and assessment.funding_level != "local")


rules.add_perm("assessments.view_assessment", is_ministry | is_province_officer | is_centre_user)
rules.add_perm("assessments.add_assessment", is_ministry | is_province_officer | is_centre_user)
rules.add_perm("assessments.change_assessment", assessment_in_scope_and_open)
rules.add_perm("assessments.review_assessment", is_ministry)
rules.add_perm("assessments.change_conversionfactor", is_ministry)
rules.add_perm("assessments.change_gridemissionfactor", is_ministry)


rules.add_perm("reporting.view_annualreport", is_ministry | is_province_officer)
rules.add_perm("reporting.review_report", is_ministry)
rules.add_perm("reporting.open_period", is_ministry)


# CP focal points and plans (provinces app). A province officer keeps those of their own unit; the
# predecessors' history and every other role's view are read-only. Checked with ``rules.has_perm``
# in pages and services so that a superuser is read-only there too (the Django admin is theirs).
@rules.predicate
def officer_of_unit(user, unit):
    return unit is not None and getattr(user, "is_province_officer", False) and unit.pk == user.unit_id


rules.add_perm("provinces.view_focalpoint", is_ministry | is_province_officer)
rules.add_perm("provinces.add_focalpoint", officer_of_unit)
rules.add_perm("provinces.change_focalpoint", officer_of_objects_unit)
rules.add_perm("provinces.view_plan", is_ministry | is_province_officer)
rules.add_perm("provinces.add_plan", officer_of_unit)
rules.add_perm("provinces.change_plan", officer_of_objects_unit)
rules.add_perm("provinces.view_national_cp", is_ministry)


# Provincial activities (reporting/activities): a province officer changes the records of their own
# unit (those of its predecessors are read-only history); the ministry changes any; centres see none.
@rules.predicate
def officer_of_assessments_unit(user, assessment):
    return (
        assessment is not None
        and getattr(user, "is_province_officer", False)
        and assessment.enterprise.unit_id == user.unit_id
    )


for _model in ("event", "communicationproduct", "guidelinedistribution"):
    rules.add_perm(f"reporting.view_{_model}", is_ministry | is_province_officer)
    rules.add_perm(f"reporting.add_{_model}", is_ministry | is_province_officer)
    rules.add_perm(f"reporting.change_{_model}", is_ministry | officer_of_objects_unit)
    rules.add_perm(f"reporting.delete_{_model}", is_ministry | officer_of_objects_unit)
rules.add_perm("reporting.view_guideline", rules.is_authenticated)
rules.add_perm("reporting.add_guideline", is_ministry)
rules.add_perm("reporting.change_guideline", is_ministry)
rules.add_perm("reporting.view_demonstration_models", is_ministry | is_province_officer)
rules.add_perm("reporting.designate_demonstration_model", is_ministry | officer_of_assessments_unit)
