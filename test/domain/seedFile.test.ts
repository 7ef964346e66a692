import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSeedFile, SeedError } from '../../src/domain/seedFile.js';
import { SEED_YAML } from '../helpers/seed.js';

// The seed file's shape: what it accepts, and for what it refuses, the field it names.


function refusal(text: string): SeedError {
  try {
    parseSeedFile(text);
  } catch (error) {
    assert.ok(error instanceof SeedError, `expected a SeedError, got ${String(error)}`);
    return error;
  }
  assert.fail('the seed was accepted');
}

describe('seed file', () => {
  it('reads the documented YAML shape, with defaults for what it leaves out', () => {
    assert.deepEqual(parseSeedFile(SEED_YAML), {
      orgs: [
        {
          id: '5f0000000000000000000001',
          name: 'Acme',
          apiKeys: [
            { publicKey: 'abcdwxyz', privateKey: '00000000-1111-4222-8333-444444444444', roles: ['ORG_OWNER'], accessList: ['127.0.0.1', '::1'], description: 'seeded API key' },
          ],
          serviceAccounts: [
            { clientId: 'mdb_sa_id_0123456789abcdef01234567', clientSecret: 'mdb_sa_sk_anything-the-file-says', roles: ['ORG_OWNER'], accessList: [], name: 'seeded service account' },
          ],
          projects: [],
        },
      ],
    });
  });

  it('reads JSON too', () => {
    const seed = parseSeedFile('{"orgs": [{"id": "5f0000000000000000000002", "name": "B"}]}');
    assert.deepEqual(seed.orgs[0], { id: '5f0000000000000000000002', name: 'B', apiKeys: [], serviceAccounts: [], projects: [] });
  });

  it('reads projects, with tags', () => {
    const seed = parseSeedFile(`${SEED_YAML}    projects:\n      - {id: 5f00000000000000000000b1, name: destination, tags: [{key: env, value: ci}]}\n`);
    assert.deepEqual(seed.orgs[0]!.projects, [{ id: '5f00000000000000000000b1', name: 'destination', tags: [{ key: 'env', value: 'ci' }] }]);
  });

  const cases: Array<[string, string, RegExp]> = [
    ['an org id that is not 24 hex', SEED_YAML.replace('5f0000000000000000000001', '5F00'), /^orgs\[0\]\.id: must be 24 lowercase hex digits$/],
    ['a public key of capitals', SEED_YAML.replace('abcdwxyz', 'ABCDWXYZ'), /^orgs\[0\]\.apiKeys\[0\]\.publicKey: must be 8 lowercase letters/],
    ['a private key that is no UUID', SEED_YAML.replace('00000000-1111-4222-8333-444444444444', 'secret'), /^orgs\[0\]\.apiKeys\[0\]\.privateKey: must be a lowercase UUID/],
    ['a missing private key', SEED_YAML.replace(/ *privateKey: .*\n/, ''), /^orgs\[0\]\.apiKeys\[0\]\.privateKey: is required/],
    ['an unknown role', SEED_YAML.replace('roles: [ORG_OWNER]', 'roles: [ORG_BOSS]'), /^orgs\[0\]\.apiKeys\[0\]\.roles: unknown org role ORG_BOSS/],
    ['no role', SEED_YAML.replace('roles: [ORG_OWNER]', 'roles: []'), /^orgs\[0\]\.apiKeys\[0\]\.roles: at least one role/],
    ['a bad access-list entry', SEED_YAML.replace('127.0.0.1,', '0177.0.0.1,'), /^orgs\[0\]\.apiKeys\[0\]\.accessList: invalid access list entry 0177\.0\.0\.1$/],
    ['a client id of the wrong shape', SEED_YAML.replace('mdb_sa_id_0123456789abcdef01234567', 'mdb_sa_id_xyz'), /^orgs\[0\]\.serviceAccounts\[0\]\.clientId: must be mdb_sa_id_/],
    ['a client secret without its prefix', SEED_YAML.replace('mdb_sa_sk_anything-the-file-says', 'hunter2'), /^orgs\[0\]\.serviceAccounts\[0\]\.clientSecret: must be mdb_sa_sk_/],
    ['an unknown field', SEED_YAML.replace('    name: Acme', '    nmae: Acme'), /^orgs\[0\]\.nmae: unknown field/],
    ['no orgs', 'orgs: []', /^orgs: the seed gives no organization$/],
    ['a list where a mapping belongs', 'orgs: [[1]]', /^orgs\[0\]: must be a mapping/],
    ['text that is not YAML', 'orgs: [', /^not valid YAML or JSON/],
    ['a project name Atlas refuses', `${SEED_YAML}    projects: [{id: 5f00000000000000000000b1, name: "has space"}]\n`, /^orgs\[0\]\.projects\[0\]\.name: a project name has 1 to 64 letters/],
    [
      'a project name given twice in one org',
      `${SEED_YAML}    projects: [{id: 5f00000000000000000000b1, name: p}, {id: 5f00000000000000000000b2, name: p}]\n`,
      /^orgs\[0\]\.projects\[1\]\.name: project name p is already given at orgs\[0\]\.projects\[0\]\.name$/,
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what}, naming the field`, () => assert.match(refusal(text).message, message));
  }

  it('refuses an id given twice in the file, naming both places', () => {
    const twice = `${SEED_YAML}  - id: 5f0000000000000000000002\n    name: Other\n    apiKeys:\n      - {publicKey: abcdwxyz, privateKey: 00000000-1111-4222-8333-444444444445, roles: [ORG_MEMBER]}\n`;
    assert.match(refusal(twice).message, /^orgs\[1\]\.apiKeys\[0\]\.publicKey: public key abcdwxyz is already given at orgs\[0\]\.apiKeys\[0\]\.publicKey$/);
  });

  it('never quotes a secret in a refusal', () => {
    const bad = SEED_YAML.replace('mdb_sa_sk_anything-the-file-says', 'mdb_sa_sk_has space');
    const error = refusal(bad);
    assert.doesNotMatch(error.message, /has space/);
    assert.doesNotMatch(error.message, /4444-444444444444/);
  });
});
