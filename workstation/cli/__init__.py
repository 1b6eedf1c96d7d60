"""The `dws` command line: a thin layer over the service (see spec/INTERCHANGE.md)."""
