import { parse as parseYaml } from 'yaml';
import type { OrgRole } from '../store/orgRoles.js';
import type { GroupTag } from '../store/groups.js';
import { compileAccessList } from './accessList.js';
import { DomainError } from './errors.js';
import { parseGroupName, parseTags } from './groups.js';
import { OBJECT_ID_PATTERN } from './ids.js';
import { parseOrgRoles } from './roles.js';

// The seed file (`pushlink serve --seed FILE`): orgs, API keys, service accounts and projects with
// the ids and secrets the file gives, so a CI job starts with credentials it already knows. This module
// only reads and validates it (pure: text in, a checked SeedFile or a SeedError naming the field
// out); seedPlan.ts compares it with what is stored.

export interface SeedApiKey {
  publicKey: string;
  privateKey: string;
  roles: OrgRole[];
  accessList: string[];
  description: string;
}

export interface SeedServiceAccount {
  clientId: string;
  clientSecret: string;
  roles: OrgRole[];
  accessList: string[];
  name: string;
}

/** An Atlas project (group) of the org, as `POST /groups` would make it. */
export interface SeedProject {
  id: string;
  name: string;
  tags: GroupTag[];
}

export interface SeedOrg {
  id: string;
  name: string;
  apiKeys: SeedApiKey[];
  serviceAccounts: SeedServiceAccount[];
  projects: SeedProject[];
}

export interface SeedFile {
  orgs: SeedOrg[];
}

/** A seed file that cannot be applied; `field` is the path in the file, e.g. `orgs[0].apiKeys[1].publicKey`. */
export class SeedError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(field === '' ? message : `${field}: ${message}`);
    this.name = 'SeedError';
  }
}

/** Atlas's shapes: 8 lowercase letters; a UUID; `mdb_sa_id_` and 24 hex digits; `mdb_sa_sk_` and something. */
const PUBLIC_KEY = /^[a-z]{8}$/;
const PRIVATE_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLIENT_ID = /^mdb_sa_id_[a-f0-9]{24}$/;
const CLIENT_SECRET = /^mdb_sa_sk_[\x21-\x7e]{1,200}$/;
const MAX_NAME = 256;

type Json = Record<string, unknown>;

function object(value: unknown, field: string, allowed: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SeedError(field, 'must be a mapping (key: value)');
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new SeedError(field === '' ? key : `${field}.${key}`, `unknown field; known here: ${allowed.join(', ')}`);
  }
  return value as Json;
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new SeedError(field, 'must be a list');
  return value;
}

function text(value: unknown, field: string, pattern: RegExp | undefined, shape: string): string {
  if (typeof value !== 'string') throw new SeedError(field, `is required and must be a string (${shape})`);
  if (pattern ? !pattern.test(value) : value.length === 0 || value.length > MAX_NAME) throw new SeedError(field, `must be ${shape}`);
  return value;
}

function optionalText(value: unknown, field: string, fallback: string): string {
  return value === undefined ? fallback : text(value, field, undefined, `1 to ${MAX_NAME} characters`);
}

/** The domain's own checks (roles, access-list entries), their messages kept, the field added. */
function checked<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof DomainError) throw new SeedError(field, error.message);
    throw error;
  }
}

function roles(value: unknown, field: string): OrgRole[] {
  const entries = list(value, field);
  if (!entries.every((r) => typeof r === 'string')) throw new SeedError(field, 'must be a list of role names');
  return checked(field, () => parseOrgRoles(entries as string[]));
}

function accessList(value: unknown, field: string): string[] {
  const entries = list(value, field);
  if (!entries.every((e) => typeof e === 'string')) throw new SeedError(field, 'must be a list of addresses or CIDR blocks (quote IPv6 ones)');
  return checked(field, () => compileAccessList(entries as string[]).entries.slice());
}

function apiKey(value: unknown, field: string): SeedApiKey {
  const o = object(value, field, ['publicKey', 'privateKey', 'roles', 'accessList', 'description']);
  return {
    publicKey: text(o.publicKey, `${field}.publicKey`, PUBLIC_KEY, '8 lowercase letters, as Atlas public keys are'),
    privateKey: text(o.privateKey, `${field}.privateKey`, PRIVATE_KEY, 'a lowercase UUID, as Atlas private keys are'),
    roles: roles(o.roles, `${field}.roles`),
    accessList: accessList(o.accessList, `${field}.accessList`),
    description: optionalText(o.description, `${field}.description`, 'seeded API key'),
  };
}

function serviceAccount(value: unknown, field: string): SeedServiceAccount {
  const o = object(value, field, ['clientId', 'clientSecret', 'roles', 'accessList', 'name']);
  return {
    clientId: text(o.clientId, `${field}.clientId`, CLIENT_ID, 'mdb_sa_id_ and 24 lowercase hex digits'),
    clientSecret: text(o.clientSecret, `${field}.clientSecret`, CLIENT_SECRET, 'mdb_sa_sk_ and 1 to 200 printable characters, no spaces'),
    roles: roles(o.roles, `${field}.roles`),
    accessList: accessList(o.accessList, `${field}.accessList`),
    name: optionalText(o.name, `${field}.name`, 'seeded service account'),
  };
}

function project(value: unknown, field: string): SeedProject {
  const o = object(value, field, ['id', 'name', 'tags']);
  return {
    id: text(o.id, `${field}.id`, OBJECT_ID_PATTERN, '24 lowercase hex digits'),
    name: checked(`${field}.name`, () => parseGroupName(o.name)),
    tags: checked(`${field}.tags`, () => parseTags(o.tags)),
  };
}

/** Checks that no two entries of the file share an id (which one wins would be a guess). */
function unique<T>(items: Array<{ field: string; item: T }>, id: (item: T) => string, what: string): void {
  const seen = new Map<string, string>();
  for (const { field, item } of items) {
    const first = seen.get(id(item));
    if (first !== undefined) throw new SeedError(field, `${what} ${id(item)} is already given at ${first}`);
    seen.set(id(item), field);
  }
}

/** Parses and validates a seed file's text (YAML, so JSON too); throws a SeedError naming the field. */
export function parseSeedFile(source: string): SeedFile {
  let document: unknown;
  try {
    document = parseYaml(source);
  } catch (error) {
    throw new SeedError('', `not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  const root = object(document ?? {}, '', ['orgs']);
  const orgs = list(root.orgs, 'orgs').map((value, i): SeedOrg => {
    const field = `orgs[${i}]`;
    const o = object(value, field, ['id', 'name', 'apiKeys', 'serviceAccounts', 'projects']);
    return {
      id: text(o.id, `${field}.id`, OBJECT_ID_PATTERN, '24 lowercase hex digits'),
      name: text(o.name, `${field}.name`, undefined, `1 to ${MAX_NAME} characters`),
      apiKeys: list(o.apiKeys, `${field}.apiKeys`).map((k, j) => apiKey(k, `${field}.apiKeys[${j}]`)),
      serviceAccounts: list(o.serviceAccounts, `${field}.serviceAccounts`).map((a, j) => serviceAccount(a, `${field}.serviceAccounts[${j}]`)),
      projects: list(o.projects, `${field}.projects`).map((g, j) => project(g, `${field}.projects[${j}]`)),
    };
  });
  if (orgs.length === 0) throw new SeedError('orgs', 'the seed gives no organization');
  unique(orgs.map((item, i) => ({ field: `orgs[${i}].id`, item })), (o) => o.id, 'organization');
  unique(
    orgs.flatMap((o, i) => o.apiKeys.map((item, j) => ({ field: `orgs[${i}].apiKeys[${j}].publicKey`, item }))),
    (k) => k.publicKey,
    'public key',
  );
  unique(
    orgs.flatMap((o, i) => o.serviceAccounts.map((item, j) => ({ field: `orgs[${i}].serviceAccounts[${j}].clientId`, item }))),
    (a) => a.clientId,
    'client id',
  );
  unique(
    orgs.flatMap((o, i) => o.projects.map((item, j) => ({ field: `orgs[${i}].projects[${j}].id`, item }))),
    (g) => g.id,
    'project id',
  );
  // Names are unique in their org, as Atlas keeps them.
  orgs.forEach((o, i) => unique(o.projects.map((item, j) => ({ field: `orgs[${i}].projects[${j}].name`, item })), (g) => g.name, 'project name'));
  return { orgs };
}
