import { checkPrimeSync, createHash, createPrivateKey, type KeyObject } from 'node:crypto';

/**
 * The same RSA key on every run, derived from a fixed seed, so that instruction counts compare
 * across runs: the cost of one `crypto.verify` depends on the modulus and the signature's value,
 * and a fresh key per run moved the 4096-bit floor by 2%. Nothing secret is checked in: the key is
 * recomputed (a second or two) and signs only benchmark tokens.
 */
export function fixedRsaKey(bits: number): KeyObject {
  const e = 65537n;
  const stream = byteStream(`keygate-bench-rsa-${bits}`);
  const p = nextPrime(bits / 2, stream, e);
  let q = nextPrime(bits / 2, stream, e);
  while (q === p) q = nextPrime(bits / 2, stream, e);
  const n = p * q;
  const phi = (p - 1n) * (q - 1n);
  const d = modInverse(e, phi);
  const jwk = {
    kty: 'RSA',
    n: base64url(n),
    e: base64url(e),
    d: base64url(d),
    p: base64url(p),
    q: base64url(q),
    dp: base64url(d % (p - 1n)),
    dq: base64url(d % (q - 1n)),
    qi: base64url(modInverse(q, p)),
  };
  return createPrivateKey({ key: jwk, format: 'jwk' });
}

/** SHA-512 in counter mode over the seed: a deterministic stream of bytes. */
function byteStream(seed: string): (length: number) => Buffer {
  let counter = 0;
  return (length) => {
    const blocks: Buffer[] = [];
    for (let have = 0; have < length; have += 64) blocks.push(createHash('sha512').update(`${seed}/${counter++}`).digest());
    return Buffer.concat(blocks).subarray(0, length);
  };
}

/** A probable prime of exactly `bits` bits with its top two bits set (so p·q has 2·bits bits) and gcd(e, p − 1) = 1. */
function nextPrime(bits: number, stream: (length: number) => Buffer, e: bigint): bigint {
  for (;;) {
    const bytes = stream(bits / 8);
    bytes[0] = (bytes[0] as number) | 0xc0;
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) | 1;
    const candidate = BigInt(`0x${bytes.toString('hex')}`);
    if ((candidate - 1n) % e !== 0n && checkPrimeSync(candidate, { checks: 64 })) return candidate;
  }
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new Error('not invertible');
  return ((oldS % m) + m) % m;
}

function base64url(value: bigint): string {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex').toString('base64url');
}
