"""Who may do what (least privilege, AC-6)."""

from __future__ import annotations

from ..errors import PermissionDenied

ALL = frozenset({"reviewer", "approver", "counsel", "auditor", "admin"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "import-records": frozenset({"reviewer", "admin"}),
    "import-request": frozenset({"reviewer", "admin"}),
    "import-order": frozenset({"counsel"}),
    "import-agency": frozenset({"admin", "counsel"}),
    "manage-users": frozenset({"admin"}),
    "back-up-store": frozenset({"admin"}),
    "read-queue": ALL,
    "read-log": ALL,
    "change-settings": frozenset({"admin", "counsel"}),
    "issue-letter": frozenset({"reviewer", "approver"}),
    "read-accounting": frozenset({"reviewer", "approver", "counsel", "auditor"}),
}

WHAT: dict[str, str] = {
    "import-records": "import taxpayer records",
    "import-request": "import request packages",
    "import-order": "import or change court orders",
    "import-agency": "import agency register entries",
    "manage-users": "add or change users",
    "back-up-store": "back up the store",
    "read-queue": "read the queue",
    "read-log": "read the audit log",
    "change-settings": "change settings",
    "issue-letter": "issue, write or print letters",
    "read-accounting": "read the accounting of disclosures",
}


def require(role: str | None, action: str) -> None:
    allowed = PERMISSIONS[action]
    if role not in allowed:
        who = " or ".join(sorted(allowed))
        article = "an" if who[0] in "aeiou" else "a"
        raise PermissionDenied(f"only {article} {who} user may {WHAT[action]} (you are {role or 'not signed in'})")
