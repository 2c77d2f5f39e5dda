from tests.assessments.conftest import make_assessment  # noqa: F401  (shared fixture)
