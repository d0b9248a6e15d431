"""Helpers shared by the test suites (e.g. the sekmet-fhir test server)."""
