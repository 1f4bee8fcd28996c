"""What may be shown of the settings: every kind of secret masked (covalent.config.mask_secrets)."""

from __future__ import annotations

import pytest

from covalent.config import mask_secrets, mask_url


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "ibm_token",
        "secret",
        "password",
        "db_passwd",
        "pwd",
        "passphrase",
        "ssh_passphrase",
        "api_key",
        "credential",
        "auth",
        "basic_auth",
        "Authorization",
        "private_key",
    ],
)
def test_values_under_secret_names_are_masked(name):
    assert mask_secrets({name: "hunter2"}) == {name: "****"}
    assert mask_secrets({"section": {name: 1234}}) == {"section": {name: "****"}}


def test_other_values_and_the_shape_are_kept():
    settings = {"author": "me", "port": 48008, "check_host_key": True, "token": "", "hosts": ["a", "b"], "n": None}
    assert mask_secrets(settings) == settings


def test_everything_inside_a_secret_is_masked():
    assert mask_secrets({"credentials": {"id": "a", "n": 5, "list": ["x"]}}) == {
        "credentials": {"id": "****", "n": "****", "list": ["****"]}
    }


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://user:hunter2@db:5432/x", "postgresql://user:****@db:5432/x"),
        ("redis://:hunter2@cache:6379/0", "redis://:****@cache:6379/0"),
        ("postgresql://db/x?password=hunter2&sslmode=require", "postgresql://db/x?password=****&sslmode=require"),
        ("host=db password=hunter2 dbname=x", "host=db password=**** dbname=x"),
        (
            "sqlite:////home/me/.local/share/covalent/covalent.db",
            "sqlite:////home/me/.local/share/covalent/covalent.db",
        ),
        ("https://example.org/path?page=2", "https://example.org/path?page=2"),
    ],
)
def test_passwords_inside_database_urls_are_masked_wherever_they_are(url, masked):
    assert mask_url(url) == masked
    assert mask_secrets({"database": {"url": url}, "elsewhere": [url]}) == {
        "database": {"url": masked},
        "elsewhere": [masked],
    }
