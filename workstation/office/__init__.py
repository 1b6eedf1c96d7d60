"""The office store (issue 19; DESIGN.md, "The office store"): what the desktop does so that the office's
PostgreSQL server never sees a taxpayer value. No Qt, no SQL here (the SQL is in workstation/store/office/)."""
