import fs from 'node:fs';
import { ConfigError } from '../configError.js';
import { parseSeedFile, SeedError, type SeedFile } from '../domain/seedFile.js';
import { applySeed, type SeedPlan } from '../domain/seedPlan.js';
import { UniqueViolationError, type Store } from '../store/store.js';

// `pushlink serve --seed FILE`: read the file, apply it (domain/seedPlan.ts) before the server
// listens. Every problem is a ConfigError naming the file and the field, so the start stops with
// one line and nothing applied. Messages never quote a secret of the file.

/** Reads and validates the file; called before any store is opened, so a bad file leaves nothing behind. */
export async function loadSeed(file: string): Promise<SeedFile> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`--seed ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return parseSeedFile(text);
  } catch (error) {
    if (error instanceof SeedError) throw new ConfigError(`--seed ${file}: ${error.message}; nothing was applied`);
    throw error;
  }
}

export async function seedStore(store: Store, file: string, seed: SeedFile, now: Date): Promise<SeedPlan> {
  try {
    return await applySeed(store, seed, now);
  } catch (error) {
    if (error instanceof SeedError) throw new ConfigError(`--seed ${file}: ${error.message}; nothing was applied`);
    // Another writer inserted one of the ids between the read and the insert: the transaction rolled back.
    if (error instanceof UniqueViolationError) throw new ConfigError(`--seed ${file}: an id of the seed was stored meanwhile by another process; nothing was applied, start again`);
    throw error;
  }
}

/** One line for the start-up output. */
export function describeSeeding(file: string, plan: SeedPlan): string {
  const created = [`${plan.orgs.length} org(s)`, `${plan.apiKeys.length} API key(s)`, `${plan.serviceAccounts.length} service account(s)`, `${plan.projects.length} project(s)`].join(', ');
  return `pushlink seeded from ${file}: created ${created}; ${plan.unchanged} already stored as given`;
}
