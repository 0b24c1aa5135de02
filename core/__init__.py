"""Shared foundations: settings, the ad schema and small text/URL helpers. Imports nothing else of ours."""
