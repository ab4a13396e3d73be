from datetime import UTC, datetime

import pytest

from lead_schemas import LeadCapturedData, Person, Touch
from scoring.domain.facts import employees_lower_bound, fold_captured

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _captured(form_id: str | None = None, **person: object) -> LeadCapturedData:
    return LeadCapturedData(
        is_new=True,
        person=Person.model_validate(person),
        touch=Touch(id="t", occurred_at=NOW, form_id=form_id, medium="cpc", gclid="g1"),
    )


def test_a_newer_empty_field_does_not_erase_a_fact() -> None:
    facts = fold_captured({}, _captured(job_title="CTO", email="a@corp.example"))
    facts = fold_captured(facts, _captured(email="a@corp.example"))
    assert facts["job_title"] == "CTO"
    assert facts["touch_count"] == 2


def test_free_mail_is_an_email_without_a_company_domain() -> None:
    assert fold_captured({}, _captured(email="kid@gmail.com"))["free_email"] is True
    work = fold_captured({}, _captured(email="a@corp.example", company_domain="corp.example"))
    assert work["free_email"] is False


def test_extra_form_fields_become_attribute_facts() -> None:
    facts = fold_captured({}, _captured(email="a@corp.example", attributes={"unsubscribed": True}))
    assert facts["attributes.unsubscribed"] is True


@pytest.mark.parametrize(
    ("size", "employees"),
    [("51-200", 51), ("1000+", 1000), ("1,001-5,000", 1001), ("small", None), (None, None)],
)
def test_company_size_bands(size: str | None, employees: int | None) -> None:
    assert employees_lower_bound(size) == employees
