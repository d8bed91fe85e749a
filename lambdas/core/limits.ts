/** Fixed bounds of the token contract (DESIGN.md, "Token contract"). */
export const MAX_TOKEN_BYTES = 8 * 1024;
export const MAX_JTI_LENGTH = 256;
export const MAX_KID_LENGTH = 128;
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SUBJECT_PREFIX = 'ces:customer:';
export const TOKEN_ALGORITHM = 'RS512';
/** At most this many active keys per name: a rotation is add-new, switch, remove-old. */
export const MAX_KEYS_PER_NAME = 2;

export function isValidKeyName(name: string): boolean {
  return KEY_NAME_PATTERN.test(name);
}
