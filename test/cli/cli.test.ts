import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, expectOneLineError, keygate } from './setup.js';

beforeAll(buildCli);

describe('keygate (program)', () => {
  it.each([[[]], [['keygen']], [['token']], [['explain']], [['ca']], [['ca', 'init']], [['ca', 'sign']], [['truststore']], [['truststore', 'check']], [['serve']]])(
    'prints help for %j --help and exits 0',
    async (command) => {
      // Act
      const result = await keygate([...command, '--help']);
      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: keygate/);
    },
  );

  it('lists every command in the top-level help', async () => {
    const result = await keygate(['--help']);
    for (const command of ['serve', 'keygen', 'token', 'explain', 'ca', 'truststore']) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('exits 2 with one line for an unknown command', async () => {
    expectOneLineError(await keygate(['frobnicate']), 2, /unknown command 'frobnicate'/);
  });

  it('exits 2 with one line for an unknown option, suggesting the right one', async () => {
    expectOneLineError(await keygate(['keygen', '--out', 'x', '--bitz', '2048']), 2, /unknown option '--bitz'.*--bits/);
  });

  it('exits 2 and shows usage when no command is given', async () => {
    const result = await keygate([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Usage: keygate/);
  });

  it('keeps the serve command registered', async () => {
    const result = await keygate(['serve', '--help']);
    expect(result.stdout).toMatch(/mutual TLS/);
  });
});
