import { MAX_JTI_LENGTH, MAX_KID_LENGTH, MAX_TOKEN_BYTES, SUBJECT_PREFIX, TOKEN_ALGORITHM } from './limits.js';
import type { Denial } from './reasons.js';

/**
 * The token contract's steps, in the order the pipeline takes them, each with what it requires.
 * A step the checks report is listed here, so keygate explain's table shows it with no change of its own.
 */
export const TOKEN_STEPS = {
  size: `at most ${MAX_TOKEN_BYTES} characters`,
  format: 'three canonical base64url segments of JSON',
  alg: `alg is ${TOKEN_ALGORITHM}`,
  crit: 'no crit header parameter',
  kid: `kid, if present, is a string of 1-${MAX_KID_LENGTH} characters`,
  sub: `sub is ${SUBJECT_PREFIX}<key name>`,
  iat: 'iat is an integer number of seconds',
  exp: 'exp is an integer number of seconds',
  jti: `jti is printable text of 1-${MAX_JTI_LENGTH} characters`,
  nbf: 'nbf, if present, is an integer number of seconds',
  order: 'exp is after iat',
  lifetime: 'exp - iat is at most the maximum lifetime',
  'not-expired': 'exp is after now, within the clock skew',
  'iat-not-future': 'iat is not after now, within the clock skew',
  'nbf-not-future': 'nbf, if present, is not after now, within the clock skew',
  signature: `${TOKEN_ALGORITHM} signature verifies (kid selects the key)`,
} as const;

export type TokenStepId = keyof typeof TOKEN_STEPS;

export const TOKEN_STEP_IDS = Object.keys(TOKEN_STEPS) as readonly TokenStepId[];

/**
 * Told each step of the token checks as it is decided (keygate explain records them for its table).
 * With an observer the checks go on past a failure, so every problem is told, and still return the
 * first failure: the decision is the same with or without one. The authorizer passes none.
 */
export interface StepObserver {
  pass(step: TokenStepId): void;
  fail(step: TokenStepId, denial: Denial): void;
  /** Not decided: a step it needs failed (`why` says which). */
  skip(step: TokenStepId, why: string): void;
}

