"""PySide6 desktop application over the `workstation` service. Depends on `workstation`, never the reverse."""
