"""Shared foundations: settings, the ad schema, text and URL helpers. Imports nothing of ours."""
