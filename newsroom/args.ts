import { parseArgs } from 'node:util';

// The newsroom's commands run on a journalist's own machine and load nothing of server/, so they
// parse their own options; server/cli.ts exits with 2 for any error named CliError.

/** A usage mistake: the message says what to type instead. */
export class CliError extends Error {
  override name = 'CliError';
}

type Spec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
type One<O extends Spec[string]> = O['type'] extends 'boolean' ? boolean : string;
type Values<S extends Spec> = { [K in keyof S]: (S[K]['multiple'] extends true ? One<S[K]>[] : One<S[K]>) | undefined };

/** Strict options (an unknown or misspelt one is an error) and, where `positionals` is set, file arguments. */
export function parseCommand<S extends Spec>(args: string[], spec: S, required: (keyof S & string)[], positionals = false): { values: Values<S>; files: string[] } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: spec, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  for (const name of required) if (parsed.values[name] === undefined) throw new CliError(`--${name} is required.`);
  return { values: parsed.values as Values<S>, files: parsed.positionals };
}
