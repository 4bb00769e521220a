import { parseArgs } from 'node:util';

/** A usage mistake: the message says what to type instead. */
export class CliError extends Error {
  override name = 'CliError';
}

type Spec = Record<string, { type: 'string' | 'boolean' }>;

/** Parses options strictly: an unknown or misspelt option is an error, never ignored. */
export function options<S extends Spec>(args: string[], spec: S, required: (keyof S & string)[]): Record<keyof S, string | undefined> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args, options: spec, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  for (const name of required) if (values[name] === undefined) throw new CliError(`--${name} is required.`);
  return values as Record<keyof S, string | undefined>;
}
