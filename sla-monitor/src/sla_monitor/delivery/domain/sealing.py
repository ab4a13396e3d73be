"""Secrets at rest: a subscription's signing secrets and a CRM's tokens are stored sealed with
AES-256-GCM (the `cryptography` library) under a key from the environment, so a database dump, a
backup or a stray `SELECT` reads nothing usable, and the API never shows them after creation.
Each seal has its own random nonce; the subscription id is bound in as associated data, so a
sealed value copied onto another subscription does not open. Pure."""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SealingKeyProblem(ValueError):
    pass


class CannotOpen(ValueError):
    """Sealed under another key, or for another subscription."""


def new_sealing_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


class Sealer:
    def __init__(self, key: str) -> None:
        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raise SealingKeyProblem("the sealing key is not base64") from None
        if len(raw) != 32:
            raise SealingKeyProblem("the sealing key must be 32 bytes, base64-encoded")
        self._aead = AESGCM(raw)

    def seal(self, value: str, *, bound_to: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, value.encode(), bound_to.encode())

    def open(self, sealed: bytes, *, bound_to: str) -> str:
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], bound_to.encode()).decode()
        except InvalidTag:
            raise CannotOpen("sealed under another key or for another subscription") from None
