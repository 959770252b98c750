import pytest
from mhc.domain.roles import Role, merge_role


@pytest.mark.parametrize(
    ("current", "observed", "expected"),
    [
        (Role.UNKNOWN, Role.VIEWER, Role.VIEWER),
        (Role.UNKNOWN, Role.MODEL, Role.MODEL),
        (Role.VIEWER, Role.UNKNOWN, Role.VIEWER),
        (Role.VIEWER, Role.VIEWER, Role.VIEWER),
        (Role.VIEWER, Role.MODEL, Role.BOTH),
        (Role.MODEL, Role.VIEWER, Role.BOTH),
        (Role.BOTH, Role.VIEWER, Role.BOTH),
        (Role.BOTH, Role.UNKNOWN, Role.BOTH),
    ],
)
def test_merge_role(current: Role, observed: Role, expected: Role) -> None:
    assert merge_role(current, observed) is expected
