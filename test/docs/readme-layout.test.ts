import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Project layout'), readme.indexOf('\n## ', readme.indexOf('## Project layout') + 1));
const rows = section.split('\n').filter((line) => line.startsWith('| `'));
/** Each row's folder(s) (first column) and the file names its text quotes. */
const folders = rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
const quoted = rows.flatMap((row) => [...row.matchAll(/`([\w./-]+\.(?:ts|mjs|json)|[\w-]+\/)`/g)].map((m) => m[1] as string));

// Folders that hold tracked files: ignored local ones (reports/, cdk.out/, a CA made in ./ca) are not the project's layout.
const trackedFolders = new Set(
  execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .flatMap((file) => file.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))),
);
const directories = (dir: string) => [...trackedFolders].filter((folder) => (dir === '.' ? !folder.includes('/') : folder.startsWith(`${dir}/`) && !folder.slice(dir.length + 1).includes('/'))).map((folder) => folder.slice(dir === '.' ? 0 : dir.length + 1)).filter((name) => !name.startsWith('.'));

describe("the README's project-layout table matches the tree", () => {
  it('every folder of its first column exists', () => {
    expect(folders.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('every file or folder it quotes exists, in the row it is quoted in', () => {
    const missing = rows.flatMap((row) => {
      const bases = [...(row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
      return [...row.matchAll(/`([\w./-]+\.(?:ts|mjs|json)|[\w-]+\/)`/g)]
        .map((m) => m[1] as string)
        .filter((path) => !existsSync(join(ROOT, path)) && !bases.some((base) => existsSync(join(ROOT, base.endsWith('/') ? base : '', path))));
    });
    expect(quoted.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('every top-level source folder and every folder of lambdas/ and cli/ is listed', () => {
    const expected = [...directories('.').map((d) => `${d}/`), ...directories('lambdas').map((d) => `lambdas/${d}/`), ...directories('cli').map((d) => `cli/${d}/`)];
    // Listed: quoted as itself or as the start of a path in it (`bin/app.ts` lists bin/).
    const mentioned = (folder: string) => section.includes(`\`${folder}`);
    expect(expected.filter((folder) => !mentioned(folder))).toEqual([]);
  });
});
