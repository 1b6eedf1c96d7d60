"""Parsers and validators for every input file (no database, no Qt). Formats: spec INTERCHANGE.md.

Each raises `workstation.errors.InputError` naming the file, the line or JSON path, and the problem —
never a taxpayer value. Streams (records, bulk subjects) may raise part-way: the caller's transaction
rolls the import back.
"""

from workstation.intake.agency import read_agency
from workstation.intake.court_order import read_court_order
from workstation.intake.records_csv import RECORD_COLUMNS, read_records
from workstation.intake.request_package import ParsedRequest, read_request

__all__ = ["RECORD_COLUMNS", "ParsedRequest", "read_agency", "read_court_order", "read_records",
           "read_request"]
