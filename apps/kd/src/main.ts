import { KdError } from '@kd/core';
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerInspect } from './commands/inspect.js';
import { registerLora } from './commands/lora.js';
import { registerMetric } from './commands/metric.js';
import { registerPluginsCommand } from './commands/plugins.js';
import { registerRecipes } from './commands/recipes.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { registerBuiltins } from './plugins.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('kd')
    .description('Distil, fine-tune, optimise, evaluate and run graph models on TensorFlow.js.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of [
    registerDemo,
    registerRun,
    registerRecipes,
    registerReport,
    registerPluginsCommand,
    registerDoctor,
    registerInspect,
    registerMetric,
    registerLora,
  ]) {
    register(program);
  }
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit). */
export async function main(argv: readonly string[]): Promise<number> {
  registerBuiltins();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const message =
      error instanceof KdError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`kd: ${message}\n`);
    return exitCodeFor(error);
  }
}
