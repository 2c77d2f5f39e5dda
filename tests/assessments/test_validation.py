def test_an_absurd_payback_is_refused_with_a_message():
    from assessments.validation import validate_option

    errors = validate_option({"investment_vnd": 10**12, "annual_savings_vnd": 7, "status": "proposed"})
    assert "annual_savings_vnd" in errors
    assert validate_option({"investment_vnd": 10**9, "annual_savings_vnd": 10**8, "status": "proposed"}) == {}
