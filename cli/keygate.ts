import { Command } from 'commander';

const program = new Command('keygate').description('keygate: mutual TLS + RS512 bearer tokens, with named keys').exitOverride();

program
  .command('serve')
  .description('run keygate locally with mutual TLS (not yet available)')
  .action(() => {
    console.log('keygate serve: local mode is not built yet (see issue "Local mode").');
  });

try {
  await program.parseAsync();
} catch (error) {
  const code = (error as { exitCode?: number }).exitCode;
  process.exitCode = code === 0 ? 0 : 2;
}
