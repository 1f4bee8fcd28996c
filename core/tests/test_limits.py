"""Limits: one typed place for the server's sizes and counts, some of them settings."""

from __future__ import annotations

import pytest

from covalent import config
from covalent.errors import SettingError
from covalent.limits import LIMITS, Limits, setting_number


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


def test_a_setting_that_is_not_a_number_of_its_kind_is_one_error_naming_it_its_value_and_the_kind():
    cases = [
        ({"max_connections": "lots"}, "server.max_connections = 'lots' in covalent.conf: expected a whole number"),
        ({"max_connections_per_client": 2.5}, "server.max_connections_per_client = 2.5 in covalent.conf: expected a"),
        ({"inline_value_bytes": -1}, "server.inline_value_bytes = -1 in covalent.conf: expected a whole number"),
        ({"header_timeout": True}, "server.header_timeout = True in covalent.conf: expected a number"),
        ({"body_timeout": float("nan")}, "server.body_timeout = nan in covalent.conf: expected a number"),
        ({"max_request_bytes": [1]}, "server.max_request_bytes = [1] in covalent.conf: expected a whole number"),
    ]
    for server, said in cases:
        with pytest.raises(SettingError) as caught:
            Limits.from_settings({"server": server})
        assert str(caught.value).startswith(said), caught.value
        assert isinstance(caught.value, ValueError)  # what callers that caught int()'s error still catch


def test_numbers_of_the_settings_kind_or_text_reading_as_one_are_taken():
    limits = Limits.from_settings({"server": {"max_connections": 8.0, "header_timeout": 3, "body_timeout": "1.5"}})
    assert (limits.max_connections, limits.header_timeout, limits.body_timeout) == (8, 3.0, 1.5)
    assert isinstance(limits.max_connections, int) and isinstance(limits.header_timeout, float)
    assert setting_number({}, "port", int, 48008) == 48008
    assert setting_number({"port": "9000"}, "port", int, 48008) == 9000
