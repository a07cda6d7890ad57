"""Encryption at rest for shop API keys.

The Fernet key is derived from `PRESTASYNC_SECRET_KEY`, so a database dump alone does
not reveal any shop's key. Losing the secret key means re-entering the shop keys.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from prestasync.errors import VaultError

__all__ = ["Vault", "VaultError"]


class Vault:
    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"prestasync-shop-keys:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise VaultError("cannot decrypt a stored shop key: was PRESTASYNC_SECRET_KEY changed?") from exc

    def __repr__(self) -> str:
        return "Vault(<secret>)"
