import { booleanAttribute, invalidAttribute, missingAttribute } from './attributes.js';
import { DomainError } from './errors.js';
import { OBJECT_ID_PATTERN } from './ids.js';

// What validate (and later create) may say, in both request versions: 2023-01-01
// (`LiveMigrationRequest`, `dropEnabled` required) and 2024-05-30 (`LiveMigrationRequest20240530`,
// `dropDestinationData` optional, default false). The rest is the same
// (../shared/reference/live-migrations.md §1.2). Real clients' quirks are accepted: the atlas CLI's
// `"hostnameSchemaType": ""` (taken as PUBLIC; how Atlas treats it is not public) and empty
// username/password/caCertificatePath with managed authentication; the v2025 Go SDK's `null`
// arrays; read-only `_id` and `links` echoed back.
//
// The source password is checked for presence and never kept: nothing pushlink stores carries it.

export type LiveMigrationRequestVersion = '2023-01-01' | '2024-05-30';
export type HostnameSchemaType = 'PUBLIC' | 'PRIVATE_LINK' | 'VPC_PEERING';

export interface ShardingEntry {
  database: string;
  collection: string;
  key: unknown[];
}

/** A live-migration request without its secrets. */
export interface LiveMigrationRequest {
  source: { groupId: string; clusterName: string; managedAuthentication: boolean; ssl: boolean; username: string | null; caCertificatePath: string | null };
  destination: { groupId: string; clusterName: string; hostnameSchemaType: HostnameSchemaType; privateLinkId: string | null };
  migrationHost: string;
  dropDestinationData: boolean;
  sharding: { createSupportingIndexes: boolean; entries: ShardingEntry[] } | null;
}

const absent = (value: unknown) => value === undefined || value === null;
/** The atlas CLI sends optional strings as "" when unset. */
const unsetString = (value: unknown) => absent(value) || value === '';

function object(value: unknown, attribute: string): Record<string, unknown> {
  if (absent(value)) throw missingAttribute(attribute);
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidAttribute(attribute, `${attribute} is an object`);
  return value as Record<string, unknown>;
}

function onlyKnown(value: Record<string, unknown>, known: readonly string[], at: string): void {
  for (const key of Object.keys(value)) if (!known.includes(key)) throw invalidAttribute(`${at}${key}`, `${at}${key} is not an attribute of a live-migration request`);
}

function text(value: unknown, attribute: string, required = true): string | null {
  if (unsetString(value)) {
    if (required) throw missingAttribute(attribute);
    return null;
  }
  if (typeof value !== 'string' || value.length > 1024) throw invalidAttribute(attribute, `${attribute} is a string`);
  return value;
}

function projectId(value: unknown, attribute: string): string {
  const id = text(value, attribute)!;
  if (!OBJECT_ID_PATTERN.test(id)) throw invalidAttribute(attribute, `${attribute} is a 24-hex project id`);
  return id;
}

function parseSource(value: unknown): LiveMigrationRequest['source'] {
  const source = object(value, 'source');
  onlyKnown(source, ['groupId', 'clusterName', 'managedAuthentication', 'ssl', 'username', 'password', 'caCertificatePath'], 'source.');
  const managedAuthentication = booleanAttribute(source.managedAuthentication, 'source.managedAuthentication');
  const username = text(source.username, 'source.username', false);
  const password = text(source.password, 'source.password', false);
  if (managedAuthentication && (username !== null || password !== null)) {
    throw invalidAttribute('source.username', 'with managedAuthentication, give no username and password');
  }
  if (!managedAuthentication && username === null) throw missingAttribute('source.username');
  if (!managedAuthentication && password === null) throw missingAttribute('source.password');
  const caCertificatePath = text(source.caCertificatePath, 'source.caCertificatePath', false);
  return {
    groupId: projectId(source.groupId, 'source.groupId'),
    clusterName: text(source.clusterName, 'source.clusterName')!,
    managedAuthentication,
    // Atlas: a CA file means TLS, as the atlas CLI forces it.
    ssl: booleanAttribute(source.ssl, 'source.ssl') || caCertificatePath !== null,
    username,
    caCertificatePath,
  };
}

function parseDestination(value: unknown, groupId: string): LiveMigrationRequest['destination'] {
  const destination = object(value, 'destination');
  onlyKnown(destination, ['groupId', 'clusterName', 'hostnameSchemaType', 'privateLinkId'], 'destination.');
  const destinationGroupId = projectId(destination.groupId, 'destination.groupId');
  if (destinationGroupId !== groupId) throw invalidAttribute('destination.groupId', 'destination.groupId is the project the request is made in');
  const schema = destination.hostnameSchemaType === '' || absent(destination.hostnameSchemaType) ? 'PUBLIC' : destination.hostnameSchemaType;
  if (schema !== 'PUBLIC' && schema !== 'PRIVATE_LINK' && schema !== 'VPC_PEERING') {
    throw new DomainError('INVALID_ENUM_VALUE', 'hostnameSchemaType is PUBLIC, PRIVATE_LINK or VPC_PEERING', [String(schema), 'destination.hostnameSchemaType']);
  }
  return {
    groupId: destinationGroupId,
    clusterName: text(destination.clusterName, 'destination.clusterName')!,
    hostnameSchemaType: schema,
    privateLinkId: text(destination.privateLinkId, 'destination.privateLinkId', false),
  };
}

function parseSharding(value: unknown): LiveMigrationRequest['sharding'] {
  if (absent(value)) return null;
  const sharding = object(value, 'sharding');
  onlyKnown(sharding, ['createSupportingIndexes', 'shardingEntries'], 'sharding.');
  const entries = absent(sharding.shardingEntries) ? [] : sharding.shardingEntries;
  if (!Array.isArray(entries)) throw invalidAttribute('sharding.shardingEntries', 'shardingEntries is a list');
  return {
    createSupportingIndexes: booleanAttribute(sharding.createSupportingIndexes, 'sharding.createSupportingIndexes'),
    entries: entries.map((entry: unknown, i) => {
      const at = `sharding.shardingEntries[${i}]`;
      const e = object(entry, at);
      const shardCollection = absent(e.shardCollection) ? {} : object(e.shardCollection, `${at}.shardCollection`);
      const key = absent(shardCollection.key) ? [] : shardCollection.key;
      if (!Array.isArray(key)) throw invalidAttribute(`${at}.shardCollection.key`, 'key is a list of index key documents');
      return { database: text(e.database, `${at}.database`)!, collection: text(e.collection, `${at}.collection`)!, key };
    }),
  };
}

export function parseLiveMigrationRequest(body: unknown, version: LiveMigrationRequestVersion, groupId: string): LiveMigrationRequest {
  const request = object(body, 'body');
  const dropName = version === '2023-01-01' ? 'dropEnabled' : 'dropDestinationData';
  onlyKnown(request, ['_id', 'links', 'source', 'destination', 'migrationHosts', 'sharding', dropName], '');
  const hosts = request.migrationHosts;
  if (absent(hosts)) throw missingAttribute('migrationHosts');
  if (!Array.isArray(hosts) || hosts.length !== 1 || typeof hosts[0] !== 'string' || hosts[0].length === 0) {
    throw invalidAttribute('migrationHosts', 'migrationHosts is a list of exactly one migration host name');
  }
  return {
    source: parseSource(request.source),
    destination: parseDestination(request.destination, groupId),
    migrationHost: hosts[0],
    // 2023-01-01 requires its flag; 2024-05-30 defaults it to false.
    dropDestinationData: booleanAttribute(request[dropName], dropName, version === '2023-01-01' ? undefined : false),
    sharding: parseSharding(request.sharding),
  };
}
