#!/usr/bin/env bash
# keygate consumer example: bash, `openssl` for the RS512 signature, `curl` for mutual TLS.
#
# Mints one RS512 token for the keygate token contract and calls GET <endpoint>/whoami over HTTPS
# with a client certificate, verifying the server certificate against the CA file (--cacert; never
# -k/--insecure). Prints the response body on stdout; exits 0 on a 2xx status, 1 on any other status
# or a failure, 2 on bad usage.
#
# Inputs (a flag wins over its environment variable; the same names in every example):
#   --endpoint URL        KEYGATE_ENDPOINT     API base URL                      default https://127.0.0.1:8443
#   --name NAME           KEYGATE_KEY_NAME     registered key name (sub = ces:customer:NAME)   required
#   --signing-key FILE    KEYGATE_SIGNING_KEY  your RSA private key (PEM, PKCS#8 or PKCS#1)    required
#   --client-cert FILE    KEYGATE_CLIENT_CERT  client certificate (PEM)          default .keygate/demo.pem
#   --client-key FILE     KEYGATE_CLIENT_KEY   its private key (PEM)             default .keygate/demo.key
#   --ca FILE             KEYGATE_CA           CA that issued the server certificate (PEM)  default .keygate/ca/ca.pem
#   --kid KID             KEYGATE_KID          optional key id for the JWT header (selects one key in a rotation)
#
# Run:
#   examples/shell/call-api.sh --name demo --signing-key .keygate/demo-key/private.pem
#
# Needs bash, openssl (1.1+ or LibreSSL), curl 7.55+ (for -H @file), base64, tr, date, mktemp.
set -euo pipefail

readonly TTL_SECONDS=300 # the contract allows at most 1800 (exp - iat)

endpoint="${KEYGATE_ENDPOINT:-https://127.0.0.1:8443}"
name="${KEYGATE_KEY_NAME:-}"
signing_key="${KEYGATE_SIGNING_KEY:-}"
client_cert="${KEYGATE_CLIENT_CERT:-.keygate/demo.pem}"
client_key="${KEYGATE_CLIENT_KEY:-.keygate/demo.key}"
ca="${KEYGATE_CA:-.keygate/ca/ca.pem}"
kid="${KEYGATE_KID:-}"

usage() {
  [[ $# -gt 0 ]] && echo "call-api: $1" >&2
  echo "usage: examples/shell/call-api.sh --name NAME --signing-key FILE [--endpoint URL] [--client-cert FILE] [--client-key FILE] [--ca FILE] [--kid KID]" >&2
  exit $(( $# > 0 ? 2 : 0 ))
}

while [[ $# -gt 0 ]]; do
  flag="$1"
  value=""
  case "$flag" in
    -h | --help) usage ;;
    --*=*) value="${flag#*=}"; flag="${flag%%=*}"; shift ;;
    --*) [[ $# -ge 2 ]] || usage "$flag needs a value"; value="$2"; shift 2 ;;
    *) usage "unknown argument $flag" ;;
  esac
  case "$flag" in
    --endpoint) endpoint="$value" ;;
    --name) name="$value" ;;
    --signing-key) signing_key="$value" ;;
    --client-cert) client_cert="$value" ;;
    --client-key) client_key="$value" ;;
    --ca) ca="$value" ;;
    --kid) kid="$value" ;;
    *) usage "unknown argument $flag" ;;
  esac
done

[[ -n "$name" ]] || usage "missing --name (or KEYGATE_KEY_NAME)"
[[ -n "$signing_key" ]] || usage "missing --signing-key (or KEYGATE_SIGNING_KEY)"
# Validating the values that go into the JSON text keeps it well-formed without a JSON tool.
[[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] || usage "key name '$name' is not 1-64 characters of A-Za-z0-9._- starting with a letter or digit"
[[ -z "$kid" || "$kid" =~ ^[A-Za-z0-9._~+/=-]{1,128}$ ]] || usage "kid '$kid' has characters this script does not put in JSON"
[[ "$endpoint" == https://* ]] || usage "--endpoint must be an https:// URL"
for file in "$signing_key" "$client_cert" "$client_key" "$ca"; do
  [[ -r "$file" ]] || { echo "call-api: cannot read $file" >&2; exit 1; }
done

openssl rsa -in "$signing_key" -noout 2>/dev/null || { echo "call-api: $signing_key is not an unencrypted RSA private key (PEM)" >&2; exit 1; }

# base64url without padding (JWS): standard base64, one line, then + → -, / → _, no '='.
b64url() { base64 | tr -d '\n=' | tr '+/' '-_'; }

new_jti() {
  # 128 random bits as a UUID-shaped string; any unique non-empty string up to 256 characters works.
  local hex
  hex="$(openssl rand -hex 16)"
  printf '%s-%s-%s-%s-%s' "${hex:0:8}" "${hex:8:4}" "${hex:12:4}" "${hex:16:4}" "${hex:20:12}"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077

# 1. The token: RS512 (RSASSA-PKCS1-v1_5 + SHA-512) over base64url(header).base64url(claims).
iat="$(date +%s)"
exp=$(( iat + TTL_SECONDS ))
if [[ -n "$kid" ]]; then header="{\"alg\":\"RS512\",\"kid\":\"$kid\"}"; else header='{"alg":"RS512"}'; fi
claims="{\"sub\":\"ces:customer:$name\",\"iat\":$iat,\"exp\":$exp,\"jti\":\"$(new_jti)\"}"
signing_input="$(printf '%s' "$header" | b64url).$(printf '%s' "$claims" | b64url)"
signature="$(printf '%s' "$signing_input" | openssl dgst -sha512 -sign "$signing_key" -binary | b64url)"
token="$signing_input.$signature"

# 2. The call. The header goes through a file (mode 0600) so the token never shows in the process list.
printf 'Authorization: Bearer %s\n' "$token" > "$work/headers"
url="${endpoint%/}/whoami"
status="$(curl --silent --show-error --proto =https --tlsv1.2 \
  --cacert "$ca" --cert "$client_cert" --key "$client_key" \
  -H @"$work/headers" -H 'Accept: application/json' \
  --max-time 15 --output "$work/body" --write-out '%{http_code}' \
  "$url")" || { echo "call-api: curl failed (exit $?) calling $url" >&2; exit 1; }

cat "$work/body"
if [[ -n "$(tail -c 1 "$work/body")" ]]; then echo; fi # end the output with a newline
if [[ "$status" != 2?? ]]; then
  echo "call-api: GET $url answered HTTP $status" >&2
  exit 1
fi
