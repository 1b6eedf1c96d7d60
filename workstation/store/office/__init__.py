"""The office store's SQL on PostgreSQL (issue 19; DESIGN.md, "The office store"). Like the rest of
workstation/store/, the only place that speaks SQL to it."""
