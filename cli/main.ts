#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExternalError, UsageError } from '../core/errors.js';
import { commands } from './commands/index.js';

/** Prints the message of expected failures (bad input, a failing tool or job) without a stack trace. */
function exitOn(error: unknown): never {
  if (error instanceof UsageError || error instanceof ExternalError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`internal error (a bug in mlops, please report it):\n${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(70);
}

const cli = yargs(hideBin(process.argv))
  .scriptName('mlops')
  .usage('$0 <command> [options]\n\nTakes an ML project from code to a monitored model endpoint on AWS, every piece of AWS in Terraform.')
  .strict()
  .demandCommand(1, 'Name a command; `mlops --help` lists them.')
  .recommendCommands()
  .help()
  .alias('help', 'h')
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .fail((message, error) => {
    // yargs reports an option that failed its check with its message (or a YError): bad input like any other.
    if (error instanceof Error && error.name !== 'YError') exitOn(error);
    process.stderr.write(`error: ${message}\nRun with --help for usage.\n`);
    process.exit(2);
  });

for (const command of commands) cli.command(command);

try {
  await cli.parseAsync();
} catch (error) {
  exitOn(error);
}
