import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { PROJECT_ROOT } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

// docs/openapi.yaml is ours. It must describe exactly the operations pushlink serves and agree with
// the official Atlas spec (../shared/atlas-openapi, when present) on paths, parameters, media
// types and schemas, except for the differences it declares.

type Doc = Record<string, any>;
const OURS: Doc = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docs/openapi.yaml'), 'utf8'));
const OFFICIAL_FILE = path.resolve(PROJECT_ROOT, '../shared/atlas-openapi/cloud-migration-service.json');
const OFFICIAL: Doc | undefined = fs.existsSync(OFFICIAL_FILE) ? JSON.parse(fs.readFileSync(OFFICIAL_FILE, 'utf8')) : undefined;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function deref(doc: Doc, node: any): any {
  let current = node;
  const seen = new Set<string>();
  while (current && typeof current === 'object' && typeof current.$ref === 'string') {
    if (seen.has(current.$ref)) throw new Error(`ref cycle at ${current.$ref}`);
    seen.add(current.$ref);
    current = current.$ref
      .slice(2)
      .split('/')
      .reduce((n: any, key: string) => n?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    if (current === undefined) throw new Error(`unresolved ${[...seen].pop()}`);
  }
  return current;
}

/** A schema with refs resolved and prose, examples and vendor extensions removed. */
function normalize(doc: Doc, node: any, depth = 0): any {
  if (depth > 20) return '…';
  const value = deref(doc, node);
  if (Array.isArray(value)) return value.map((v) => normalize(doc, v, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    // Prose and examples are ours to write; additionalProperties:false states what the Atlas docs
    // say in prose ("invalid fields are rejected"), which the spec does not encode.
    if (['description', 'example', 'examples', 'externalDocs', 'summary', 'title', 'additionalProperties'].includes(key)) continue;
    if (key.startsWith('x-') && key !== 'x-xgen-version') continue;
    out[key] = normalize(doc, value[key], depth + 1);
  }
  return out;
}

function differences(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    return [...keys].flatMap((k) => differences((a as any)[k], (b as any)[k], `${at}/${k}`));
  }
  return [`${at}: ours ${JSON.stringify(a)} / official ${JSON.stringify(b)}`];
}

function operations(doc: Doc): Array<{ path: string; method: string; op: any }> {
  return Object.entries(doc.paths as Record<string, any>).flatMap(([p, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ path: p, method: m, op: item[m] })),
  );
}

describe('docs/openapi.yaml', () => {
  // Both sides, so every route pushlink can serve is there.
  let app: FastifyInstance;
  let stores: SqliteStore[];
  let dir: string;
  before(async () => {
    dir = tempDir();
    stores = [SqliteStore.open(path.join(dir, 'atlas')), SqliteStore.open(path.join(dir, 'source'))];
    app = await buildApp({ ...DEFAULT_CONFIG, role: 'both', dataDir: dir, logLevel: 'silent' }, stores[0]!, { sourceStore: stores[1]! });
    await app.ready();
  });
  after(async () => {
    await app.close();
    for (const store of stores) await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resolves every $ref', () => {
    const walk = (node: any): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== 'object') return;
      if (typeof node.$ref === 'string') deref(OURS, node);
      Object.values(node).forEach(walk);
    };
    walk(OURS);
  });

  it('documents every operation pushlink serves, and only those', () => {
    const documented = operations(OURS).map(({ path: p, method }) => `${method.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
    for (const route of documented) {
      const [method, url] = route.split(' ') as [string, string];
      assert.ok(app.hasRoute({ method: method as 'GET', url }), `documented but not served: ${route}`);
    }
    // Every route Fastify serves (HEAD is Fastify's automatic twin of GET) is documented.
    const servedMethods = app
      .printRoutes({ commonPrefix: false })
      .split('\n')
      .flatMap((line) => (/\(([^)]+)\)/.exec(line)?.[1] ?? '').split(',').map((m) => m.trim()))
      .filter((m) => m && m !== 'HEAD');
    assert.equal(servedMethods.length, documented.length, `served: ${servedMethods.join(' ')}`);
  });

  describe('agrees with the official Atlas spec', { skip: !OFFICIAL && `${OFFICIAL_FILE} is not present` }, () => {
    const official = OFFICIAL!;
    const shared = () => operations(OURS).filter(({ path: p, method }) => official?.paths?.[p]?.[method]);

    it('covers every Cloud Migration Service operation', () => {
      assert.deepEqual(
        shared().map(({ path: p, method }) => `${method} ${p}`).sort(),
        [
          'delete /api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens',
          'get /api/atlas/v2/groups/{groupId}/liveMigrations/validate/{validationId}',
          'get /api/atlas/v2/groups/{groupId}/liveMigrations/{liveMigrationId}',
          'get /api/atlas/v2/orgs/{orgId}/liveMigrations/availableProjects',
          'post /api/atlas/v2/groups/{groupId}/liveMigrations',
          'post /api/atlas/v2/groups/{groupId}/liveMigrations/validate',
          'post /api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens',
          'put /api/atlas/v2/groups/{groupId}/liveMigrations/{liveMigrationId}/cutover',
        ],
      );
    });

    it('has the same operation ids, parameters and request bodies', () => {
      for (const { path: p, method, op } of shared()) {
        const theirs = official.paths[p][method];
        assert.equal(op.operationId, theirs.operationId, `${method} ${p} operationId`);
        assert.equal(op['x-xgen-operation-id-override'], theirs['x-xgen-operation-id-override']);
        const params = (doc: Doc, list: any[]) =>
          Object.fromEntries(list.map((x) => deref(doc, x)).map((x) => [`${x.in}:${x.name}`, normalize(doc, x)]));
        assert.deepEqual(differences(params(OURS, op.parameters ?? []), params(official, theirs.parameters ?? [])), [], `${method} ${p} parameters`);
        assert.deepEqual(
          differences(normalize(OURS, op.requestBody ?? null), normalize(official, theirs.requestBody ?? null)),
          [],
          `${method} ${p} requestBody`,
        );
      }
    });

    it('has the same success media types and schemas; the status differs only where declared', () => {
      for (const { path: p, method, op } of shared()) {
        const theirs = official.paths[p][method];
        const success = (responses: Record<string, any>) => Object.keys(responses).filter((s) => s.startsWith('2'));
        const [ourStatus] = success(op.responses);
        const [theirStatus] = success(theirs.responses);
        if (ourStatus !== theirStatus) {
          assert.match(op['x-pushlink-differs-from-atlas-spec'] ?? '', new RegExp(`\\b${ourStatus}\\b`), `${method} ${p}: undeclared status difference`);
        }
        assert.deepEqual(
          differences(normalize(OURS, op.responses[ourStatus!].content ?? null), normalize(official, theirs.responses[theirStatus!].content ?? null)),
          [],
          `${method} ${p} success body`,
        );
        assert.deepEqual(
          Object.keys(op.responses[ourStatus!].headers ?? {}).sort(),
          Object.keys(theirs.responses[theirStatus!].headers ?? {}).sort(),
        );
      }
    });

    it('answers every error status the spec declares with an ApiError', () => {
      for (const { path: p, method, op } of shared()) {
        const theirs = official.paths[p][method];
        for (const status of Object.keys(theirs.responses).filter((s) => !s.startsWith('2'))) {
          const ours = op.responses[status];
          assert.ok(ours, `${method} ${p} does not document ${status}`);
          assert.deepEqual(Object.keys(deref(OURS, ours).content), Object.keys(deref(official, theirs.responses[status]).content));
        }
      }
    });

    it('has the ApiError schema of the spec, differing only where declared', () => {
      const diff = differences(normalize(OURS, OURS.components.schemas.ApiError), normalize(official, official.components.schemas.ApiError));
      assert.deepEqual(diff.sort(), [
        '/properties/parameters/items/type: ours undefined / official "object"',
        '/properties/parameters/nullable: ours true / official undefined',
      ]);
      assert.match(OURS.components.schemas.ApiError['x-pushlink-differs-from-atlas-spec'], /parameters/);
    });

    it('has the same link-token schemas and security schemes', () => {
      for (const name of [
        'TargetOrgRequest', 'TargetOrg', 'BadRequestDetail', 'FieldViolation', 'LiveImportAvailableProject', 'AvailableClustersDeployment',
        'LiveMigrationRequest', 'LiveMigrationRequest20240530', 'Source', 'Destination', 'ShardingRequest', 'ShardEntry', 'ShardKeys', 'LiveImportValidation', 'LiveMigrationResponse',
      ]) {
        assert.deepEqual(differences(normalize(OURS, OURS.components.schemas[name]), normalize(official, official.components.schemas[name])), [], name);
      }
      assert.deepEqual(normalize(OURS, OURS.components.securitySchemes.DigestAuth), normalize(official, official.components.securitySchemes.DigestAuth));
      const flow = (doc: Doc) => doc.components.securitySchemes.ServiceAccounts.flows.clientCredentials;
      assert.equal(OURS.components.securitySchemes.ServiceAccounts.type, official.components.securitySchemes.ServiceAccounts.type);
      assert.equal(new URL(flow(OURS).tokenUrl, 'http://x').pathname, new URL(flow(official).tokenUrl).pathname);
      assert.deepEqual(flow(OURS).scopes, flow(official).scopes);
      assert.deepEqual(OURS.security, official.security);
    });
  });
});
