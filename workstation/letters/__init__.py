"""PDF letters (reportlab): transmittal, declination, FOIA response."""
