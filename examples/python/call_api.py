#!/usr/bin/env python3
"""keygate consumer example: Python 3, `cryptography` for the RS512 signature, the standard library for mutual TLS.

Mints one RS512 token for the keygate token contract and calls GET <endpoint>/whoami over HTTPS
with a client certificate, verifying the server certificate (and its host name) against the CA
file. Prints the response body on stdout; exits 0 on a 2xx status, 1 on any other status or a
failure, 2 on bad usage.

Inputs (a flag wins over its environment variable; the same names in every example):
  --endpoint URL        KEYGATE_ENDPOINT     API base URL                      default https://127.0.0.1:8443
  --name NAME           KEYGATE_KEY_NAME     registered key name (sub = ces:customer:NAME)   required
  --signing-key FILE    KEYGATE_SIGNING_KEY  your RSA private key (PEM, PKCS#8 or PKCS#1)    required
  --client-cert FILE    KEYGATE_CLIENT_CERT  client certificate (PEM)          default .keygate/demo.pem
  --client-key FILE     KEYGATE_CLIENT_KEY   its private key (PEM)             default .keygate/demo.key
  --ca FILE             KEYGATE_CA           CA that issued the server certificate (PEM)  default .keygate/ca/ca.pem
  --kid KID             KEYGATE_KID          optional key id for the JWT header (selects one key in a rotation)

Run:
  python3 examples/python/call_api.py --name demo --signing-key .keygate/demo-key/private.pem

Needs only `cryptography` (python3 -m pip install cryptography, or your distribution's python3-cryptography).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import ssl
import sys
import time
import uuid
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TTL_SECONDS = 300  # the contract allows at most 1800 (exp - iat)
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def b64url(data: bytes) -> str:
    """base64url without padding, as JWS requires."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact_json(value: dict) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def mint_token(name: str, signing_key_path: str, kid: str | None) -> str:
    """One token per call: RS512, sub ces:customer:<name>, integer iat/exp, a fresh jti."""
    with open(signing_key_path, "rb") as f:
        private_key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError(f"{signing_key_path} is not an RSA private key")
    header = {"alg": "RS512"}
    if kid:
        header["kid"] = kid
    iat = int(time.time())
    claims = {"sub": f"ces:customer:{name}", "iat": iat, "exp": iat + TTL_SECONDS, "jti": str(uuid.uuid4())}
    signing_input = f"{b64url(compact_json(header))}.{b64url(compact_json(claims))}".encode("ascii")
    # RS512 = RSASSA-PKCS1-v1_5 with SHA-512.
    signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA512())
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"


def tls_context(ca: str, client_cert: str, client_key: str) -> ssl.SSLContext:
    # create_default_context: CERT_REQUIRED and check_hostname on; trust comes only from the CA file.
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=client_cert, keyfile=client_key)
    return context


def parse_args(argv: list[str]) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Mint an RS512 token and call GET /whoami with mutual TLS.")
    parser.add_argument("--endpoint", default=env("KEYGATE_ENDPOINT") or "https://127.0.0.1:8443")
    parser.add_argument("--name", default=env("KEYGATE_KEY_NAME"))
    parser.add_argument("--signing-key", default=env("KEYGATE_SIGNING_KEY"))
    parser.add_argument("--client-cert", default=env("KEYGATE_CLIENT_CERT") or ".keygate/demo.pem")
    parser.add_argument("--client-key", default=env("KEYGATE_CLIENT_KEY") or ".keygate/demo.key")
    parser.add_argument("--ca", default=env("KEYGATE_CA") or ".keygate/ca/ca.pem")
    parser.add_argument("--kid", default=env("KEYGATE_KID") or None)
    args = parser.parse_args(argv)
    if not args.name:
        parser.error("missing --name (or KEYGATE_KEY_NAME)")
    if not args.signing_key:
        parser.error("missing --signing-key (or KEYGATE_SIGNING_KEY)")
    if not KEY_NAME.match(args.name):
        parser.error(f"key name {args.name!r} is not 1-64 characters of A-Za-z0-9._- starting with a letter or digit")
    if urlsplit(args.endpoint).scheme != "https":
        parser.error(f"--endpoint must be an https:// URL, not {args.endpoint!r}")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    endpoint = urlsplit(args.endpoint)
    path = endpoint.path.rstrip("/") + "/whoami"
    url = f"https://{endpoint.netloc}{path}"
    try:
        token = mint_token(args.name, args.signing_key, args.kid)
        connection = http.client.HTTPSConnection(
            endpoint.hostname, endpoint.port or 443, context=tls_context(args.ca, args.client_cert, args.client_key), timeout=15
        )
        try:
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
            response = connection.getresponse()
            status, body = response.status, response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
    except (OSError, ValueError, TypeError, http.client.HTTPException) as error:  # ssl.SSLError is an OSError
        print(f"call_api: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(body if body.endswith("\n") else body + "\n")
    if not 200 <= status <= 299:
        print(f"call_api: GET {url} answered HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
