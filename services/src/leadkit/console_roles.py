"""Console roles, one per console key, the same at all five services: what each may do, and how
personal data looks to a key that may not read it. Pure.

`viewer` reads everything; `operator` also steers the day (reassign a lead, take a rep offline,
acknowledge a breach); `admin` also changes configuration (policies, reps' weights and caps,
subscriptions, DLQ replay, erasure). Personal data (a person's email, phone, name) is shown only
to a key that also holds `personal_data`, whatever its role: seeing who a lead is and steering
the system are different permissions.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
MASK = "•••"


def role_allows(held: Role, needed: Role) -> bool:
    """Roles are nested: an operator may do what a viewer may, an admin what an operator may."""
    return ROLES.index(held) >= ROLES.index(needed)


def parse_role(text: str) -> Role:
    for role in ROLES:
        if text == role:
            return role
    raise ValueError(f"a console role is one of {', '.join(ROLES)}; got {text!r}")


def mask_email(email: str | None) -> str | None:
    """`a•••@example.com`: the domain stays (it says which company, which is not personal), the
    mailbox goes but for its first character, so two masked leads can still be told apart."""
    if email is None:
        return None
    mailbox, at, domain = email.rpartition("@")
    if not at:
        return mask_text(email)
    return f"{mailbox[:1]}{MASK}@{domain}"


def mask_text(value: str | None) -> str | None:
    """A name or phone number: its first character, then the mask."""
    if value is None or value == "":
        return value
    return f"{value[:1]}{MASK}"
