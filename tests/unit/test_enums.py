from dashboard.models import enums


def test_kyc_status_is_the_union_of_the_seeds():
    assert {s.value for s in enums.KycStatus} == {
        "NOT_STARTED", "PENDING", "UNDER_REVIEW", "APPROVED", "REJECTED", "RESUBMIT_REQUIRED"
    }


def test_labels_read_like_the_seeds():
    assert enums.label("RESUBMIT_REQUIRED") == "Resubmit Required"
    assert enums.label("NOT_STARTED") == "Not Started"
    assert enums.label(None) == ""


def test_staff_roles_exclude_customers():
    assert enums.Role.CUSTOMER not in enums.STAFF_ROLES
    assert len(enums.STAFF_ROLES) == 5
