import { expect } from 'vitest';

const FRAGMENT = 16;
const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}/g;

function decodedText(run: string): string | undefined {
  const text = Buffer.from(run, 'base64').toString('latin1');
  return /^[\x20-\x7e\r\n]+$/.test(text) ? text : undefined;
}

/**
 * Every 16-character window of every base64 run in the texts, and of the runs inside those runs
 * once decoded (a PEM sent base64-encoded), so a leaked piece is found wherever it was cut.
 */
export function secretFragments(...texts: string[]): Set<string> {
  const fragments = new Set<string>();
  const add = (text: string, depth: number): void => {
    for (const [run] of text.matchAll(BASE64_RUN)) {
      for (let i = 0; i + FRAGMENT <= run.length; i++) fragments.add(run.slice(i, i + FRAGMENT));
      const inner = depth < 2 ? decodedText(run) : undefined;
      if (inner) add(inner, depth + 1);
    }
  };
  for (const text of texts) add(text, 0);
  return fragments;
}

/** Fails naming the first fragment of the secret texts that `where` contains. */
export function expectNoFragments(where: string, haystack: string, fragments: Set<string>): void {
  const leaked = [...fragments].find((fragment) => haystack.includes(fragment));
  expect(leaked, `${where} contains a piece of the input: ${leaked}`).toBeUndefined();
}
