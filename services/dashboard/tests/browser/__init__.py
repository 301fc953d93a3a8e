"""Browser tests of the dashboard (nox -s browser)."""
