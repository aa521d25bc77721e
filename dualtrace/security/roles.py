"""The three roles and what each may do.

Roles are strictly ordered (viewer < analyst < admin): every right of a lower role is a
right of the higher ones, so a route states the least role it needs and nothing else.
Keeping one ordered ladder (rather than a permission matrix) makes "each role is denied
what it may not do" a property that tests can enumerate.
"""

from __future__ import annotations

import enum

from dualtrace.errors import InputError


class Role(enum.IntEnum):
    """viewer: search and screen; analyst: also review claims, cases, documents;
    admin: also load, fetch, manage users and keys, read the audit log."""

    VIEWER = 1
    ANALYST = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        """A role from its name; an unknown name is an input error listing the choices."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(r.label for r in cls)
            raise InputError(
                f"unknown role {text!r} (choose one of: {choices})", field="role"
            ) from None

    def allows(self, needed: Role) -> bool:
        return self >= needed


# What each action needs, for the routes and the docs; the API's own routes use these
# names so the table in docs/security.md stays the single description of the policy.
ACTION_ROLES: dict[str, Role] = {
    "search": Role.VIEWER,
    "screen": Role.VIEWER,
    "entity.read": Role.VIEWER,
    "export": Role.VIEWER,
    "review": Role.ANALYST,
    "merge": Role.ANALYST,
    "split": Role.ANALYST,
    "case.write": Role.ANALYST,
    "document.upload": Role.ANALYST,
    "load": Role.ADMIN,
    "fetch": Role.ADMIN,
    "users.manage": Role.ADMIN,
    "keys.manage": Role.ADMIN,
    "audit.read": Role.ADMIN,
    "backup": Role.ADMIN,
}
