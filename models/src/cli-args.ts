// Command lines of the model tools: a usage error (an unknown option, a number that is not one) is
// said in one line with the usage, exit status 2, before any model or photo is read.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseDecimal } from '@shelfwatch/shared';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandLine<O extends Options> {
  values: ReturnType<typeof parseArgs<{ options: O }>>['values'];
  /** Ends the command with a usage error. */
  refuse(message: string): never;
  /** The option's value as a number (decimal, as the API reads them); a usage error otherwise. */
  decimal(name: string, value: string): number;
  /** A comma-separated list of numbers (`0.3,0.35`). */
  decimals(name: string, value: string): number[];
}

function usageError(message: string, usage: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

/** `parseArgs` (strict, no positionals) with `--help` added, which prints `usage`. */
export function parseCommandLine<O extends Options>(options: O, usage: string): CommandLine<O> {
  let values: CommandLine<O>['values'];
  try {
    values = parseArgs({ options: { ...options, help: { type: 'boolean' } } }).values as typeof values;
  } catch (err) {
    usageError((err as Error).message.split('. ')[0]!, usage);
  }
  if ((values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const decimal = (name: string, value: string): number =>
    parseDecimal(value) ??
    usageError(`--${name} must be a decimal number, got ${JSON.stringify(value)}`, usage);
  return {
    values,
    refuse: (message) => usageError(message, usage),
    decimal,
    decimals: (name, value) => value.split(',').map((v) => decimal(name, v)),
  };
}
