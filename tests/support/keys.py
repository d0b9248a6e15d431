"""Signing keys and JWTs for tests: ES384 keys made by cryptography, good and bad tokens.

key = new_key()
token = make_token(key, iss="https://ehr.test", aud="http://127.0.0.1:8080/cds-services")
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm


@dataclass(frozen=True)
class SigningKey:
    """An ES384 key pair with its kid."""

    private: ec.EllipticCurvePrivateKey
    kid: str

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "alg": "ES384", "use": "sig"}

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def new_key(kid: str | None = None) -> SigningKey:
    return SigningKey(ec.generate_private_key(ec.SECP384R1()), kid or uuid.uuid4().hex[:12])


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [k.public_jwk for k in keys]}


def claims(iss: str, aud: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": iss, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def make_token(
    key: SigningKey, iss: str, aud: str, headers: dict[str, Any] | None = None, **overrides: Any
) -> str:
    """An ES384 JWT; `overrides` replace claims (None removes one)."""
    return jwt.encode(
        claims(iss, aud, **overrides),
        key.private,
        algorithm="ES384",
        headers={"kid": key.kid, **(headers or {})},
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"


def alg_none_token(key: SigningKey, iss: str, aud: str) -> str:
    """An unsigned token (`alg: none`): must be refused."""
    return _unsigned({"alg": "none", "typ": "JWT", "kid": key.kid}, claims(iss, aud)) + "."


def hs256_public_key_token(key: SigningKey, iss: str, aud: str) -> str:
    """HS256 'signed' with the issuer's public key as the secret (the alg-confusion attack)."""
    signing_input = _unsigned({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims(iss, aud))
    mac = hmac.new(key.public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"
