"""Deterministic synthetic demo data, written as files in the INTERCHANGE.md formats.

``generate(out_dir)`` writes taxpayer records, agency-register entries, court orders and request packages
(a valid one per authority, a partial one, one built to fail each check code, the 2025 bulk pattern) plus a
``manifest.json``; the service then imports them through the normal intake path. Pure standard library:
no store access, no Qt.
"""

from workstation.demo.generator import DemoManifest, DemoRequest, generate

__all__ = ["DemoManifest", "DemoRequest", "generate"]
