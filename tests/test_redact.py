"""Redactor: known secrets masked in text, headers and nested data; credential headers by name."""

from __future__ import annotations

import pytest

from arazzo_runner.redact import MASK, Redactor, sensitive_name


def test_text_masks_every_occurrence_longest_first() -> None:
    redactor = Redactor(["s3cret-key", "s3cret-key-and-more"])
    text = "a=s3cret-key-and-more b=s3cret-key c=s3cret-key"
    assert redactor.redact_text(text) == f"a={MASK} b={MASK} c={MASK}"


def test_short_values_are_not_masked_in_free_text() -> None:
    redactor = Redactor(["abc", ""])
    assert redactor.secrets == frozenset()
    assert redactor.redact_text("abc") == "abc"


def test_add_later_and_ignore_none() -> None:
    redactor = Redactor()
    redactor.add(None)
    redactor.add("token-123")
    assert redactor.redact_text("Bearer token-123.") == f"Bearer {MASK}."


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "proxy-authorization",
        "Cookie",
        "Set-Cookie",
        "X-API-Key",
        "x-auth-token",
        "X-Client-Secret",
        "api_key",
    ],
)
def test_sensitive_names(name: str) -> None:
    assert sensitive_name(name)


@pytest.mark.parametrize("name", ["Content-Type", "Accept", "X-Request-Id", "Retry-After"])
def test_ordinary_names(name: str) -> None:
    assert not sensitive_name(name)


def test_headers_keep_scheme_word_and_mask_known_values_elsewhere() -> None:
    redactor = Redactor(["zzz-secret-zzz"])
    headers = {
        "Authorization": "Key id:unknown-to-redactor",
        "X-Api-Key": "plain",
        "Cookie": "sid=1",
        "Content-Type": "application/json",
        "X-Echo": "zzz-secret-zzz",
    }
    assert redactor.redact_headers(headers) == {
        "Authorization": f"Key {MASK}",
        "X-Api-Key": MASK,
        "Cookie": MASK,
        "Content-Type": "application/json",
        "X-Echo": MASK,
    }


def test_data_nested_keys_values_bytes_and_tuples() -> None:
    redactor = Redactor(["hunter22"])
    data = {
        "outer": [{"note": "pw is hunter22"}, ("hunter22", 3)],
        "hunter22": b"raw hunter22",
        "n": None,
    }
    assert redactor.redact_data(data) == {
        "outer": [{"note": f"pw is {MASK}"}, (MASK, 3)],
        MASK: f"raw {MASK}".encode(),
        "n": None,
    }
    assert data["outer"][0] == {"note": "pw is hunter22"}  # the input is not changed


def test_data_by_name_masks_values_under_credential_keys() -> None:
    redactor = Redactor()
    data = {"token": "tok-alice-1", "name": "Fido", "nested": {"apiKey": "k-1"}}
    assert redactor.redact_data(data) == data
    assert redactor.redact_data(data, by_name=True) == {
        "token": MASK,
        "name": "Fido",
        "nested": {"apiKey": MASK},
    }


def test_forms_cover_percent_encoding_and_base64_padded_or_not() -> None:
    import base64
    from urllib.parse import quote

    redactor = Redactor()
    redactor.add_forms("s3cr+t/key=")
    for form in (
        "s3cr+t/key=",
        quote("s3cr+t/key=", safe=""),
        base64.b64encode(b"s3cr+t/key=").decode(),
        base64.urlsafe_b64encode(b"s3cr+t/key=").decode(),
    ):
        assert form not in redactor.redact_text(f"<{form}>"), form


def test_a_sent_header_value_is_masked_in_base64_as_a_whole() -> None:
    import base64

    redactor = Redactor()
    redactor.add_sent("Authorization", "Key fal-canary-123")
    echoed = base64.b64encode(b"Key fal-canary-123").decode()
    assert redactor.redact_text(f"seen {echoed}") == "seen ***" or echoed not in (
        redactor.redact_text(f"seen {echoed}")
    )
