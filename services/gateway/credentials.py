"""Passwords (argon2id) and tokens (random, stored as SHA-256): what signing in rests on."""

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Verified when the e-mail is unknown, so a wrong address costs as long as a wrong password
    (made at the first sign-in, not at start: hashing is the slowest thing the gateway does)."""
    return _hasher.hash(secrets.token_urlsafe(16))


SESSION_PREFIX = "crm_s_"
API_TOKEN_PREFIX = "crm_pat_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always spends the same work, even without a hash."""
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> tuple[str, str]:
    """A fresh secret token (256 bits) and the hash to store in its place."""
    token = prefix + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
