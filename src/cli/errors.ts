import { ConfigError } from '../configError.js';
import { DomainError } from '../domain/errors.js';
import { NoStoreError } from '../store/open.js';
import { StoreUnavailableError } from '../store/store.js';
import { AtlasUnreachable } from '../sync/atlasClient.js';

// "Clean exit" errors: what a command expects to go wrong (a bad option, a missing store, a rule
// the domain refuses). The top-level handler prints `pushlink: <message>` and exits with the
// error's code, no stack. Anything else is a bug and keeps its stack trace.

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The errors of the layers below the CLI that mean "the operator asked for something that cannot
 * be done" rather than "pushlink is broken". They cannot extend CliError (domain, store, sync and
 * config know nothing of a command line), so they are mapped here, in one place. An error the CLI
 * itself raises extends CliError and needs no entry.
 */
const OPERATOR_ERRORS = [ConfigError, DomainError, StoreUnavailableError, NoStoreError, AtlasUnreachable] as const;

/** The clean exit an error means, or undefined when it is a bug. */
export function cleanExitOf(error: unknown): CliError | undefined {
  if (error instanceof CliError) return error;
  if (OPERATOR_ERRORS.some((kind) => error instanceof kind)) return new CliError((error as Error).message);
  return undefined;
}
