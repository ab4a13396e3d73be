"""Keep secrets out of log lines, stored errors and dead-letter headers.

Two nets, because either alone misses something: the configured secrets themselves (every
`SecretStr` setting), in plain and URL-encoded form, wherever they
appear; and the values of query parameters that carry credentials by name (`access_token`,
`hub.verify_token`, …), which also catches a wrong token an attacker presented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, SecretStr

REDACTED = "[redacted]"
CREDENTIAL_PARAMETERS = (
    "access_token",
    "hub.verify_token",
    "client_secret",
    "api_key",
    "apikey",
    "google_key",
    "password",
    "token",
)
_CREDENTIAL_IN_QUERY = re.compile(
    r"(?i)(?<![\w.])(" + "|".join(re.escape(name) for name in CREDENTIAL_PARAMETERS) + r")=([^&\s\"'#]+)"
)
# secrets shorter than this are too likely to occur by chance to be replaced everywhere
MIN_SECRET_LENGTH = 6


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants = {
            form
            for secret in secrets
            if len(secret) >= MIN_SECRET_LENGTH
            for form in (secret, quote(secret, safe=""), quote_plus(secret))
        }
        # longest first, so a secret that contains another is replaced whole
        self._secrets = sorted(variants, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _CREDENTIAL_IN_QUERY.sub(rf"\1={REDACTED}", text)

    def value(self, value: Any) -> Any:
        """`value` with every string inside it redacted (dicts, lists and tuples are walked)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(item) for item in value)
        return value


def secrets_of(settings: BaseModel) -> list[str]:
    """Every secret a settings object holds: its `SecretStr` fields, nested settings included.

    Database passwords are left out: SQLAlchemy masks them in every URL it prints, and the local
    ones are the service names, which every log line carries."""
    return [secret for secret in _walk(settings) if secret]


def _walk(settings: BaseModel) -> Iterator[str]:
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            yield from _split(value.get_secret_value())
        elif isinstance(value, BaseModel):
            yield from _walk(value)


def _split(secret: str) -> Iterator[str]:
    # LEADLOOP_API_KEYS is a comma-separated list: each key is a secret of its own
    yield from (part.strip() for part in secret.split(",") if part.strip())
