import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { once } from 'node:events';
import { CliError, describeError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-error';
import { CliContext, configLoader } from './cli-context';
import { registerBridgeUserscriptCommand } from './commands/bridge-userscript';
import { registerDoctorCommand } from './commands/doctor';
import { registerTokenCommands } from './commands/tokens';
import { registerUsageCommands } from './commands/usage';
import { registerUserCommands } from './commands/users';

const EPILOG = `
Exit status: 0 success, 1 failure (the message says what failed), 2 usage error.
The configuration is --config, else LMB_CONFIG, else ./config.jsonc (DATABASE_URL etc. apply).`;

/** The `npm run admin -- <command>` program. */
function buildProgram(ctx: CliContext, setConfigPath: (path: string | undefined) => void): Command {
  const program = new Command('admin')
    .description('LMArena Bridge administration: accounts, tokens, usage data and an install check')
    .option('-c, --config <file>', 'config.jsonc to use')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EPILOG)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .hook('preAction', (cmd) => setConfigPath(cmd.opts<{ config?: string }>().config));
  registerUserCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerUsageCommands(program, ctx);
  registerBridgeUserscriptCommand(program, ctx);
  registerDoctorCommand(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

async function runCli(argv: string[]): Promise<number> {
  let configPath: string | undefined;
  const ctx: CliContext = {
    env: process.env,
    stdin: process.stdin,
    out: (line) => process.stdout.write(`${line}\n`),
    write: async (chunk) => {
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    },
    config: configLoader(process.env, () => configPath),
  };
  const program = buildProgram(ctx, (path) => (configPath = path));
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`error: ${describeError(err)}\n`);
    return EXIT_FAILURE;
  }
}

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
