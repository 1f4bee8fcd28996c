"""Limits: one typed place for the server's sizes and counts, two of them settings."""

from __future__ import annotations

from covalent import config
from covalent.limits import LIMITS, Limits


def test_the_settings_defaults_are_the_limits():
    assert config.DEFAULTS["server"]["inline_value_bytes"] == LIMITS.inline_value_bytes == 64 * 1024
    assert config.DEFAULTS["server"]["max_request_bytes"] == LIMITS.max_request_bytes
    for name in ("header_timeout", "body_timeout", "max_connections_per_client", "max_connections"):
        assert config.DEFAULTS["server"][name] == getattr(LIMITS, name), name


def test_from_settings_reads_the_two_settings_and_keeps_the_rest():
    limits = Limits.from_settings({"server": {"inline_value_bytes": "1024", "max_request_bytes": 10}})
    assert (limits.inline_value_bytes, limits.max_request_bytes) == (1024, 10)
    assert limits.event_output_bytes == LIMITS.event_output_bytes
    assert Limits.from_settings({}) == LIMITS
