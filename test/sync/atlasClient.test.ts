import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestCall, urlUnder } from '../../src/sync/atlasClient.js';
import { digestHa1 } from '../../src/httpDigest.js';
import { startFakeAtlas, withDigestChallenge, type FakeAtlas } from '../helpers/fakeAtlas.js';

describe('the Atlas client', () => {
  let fake: FakeAtlas;
  before(async () => {
    fake = await startFakeAtlas(withDigestChallenge(() => ({ status: 204 })));
  });
  after(async () => {
    await fake.close();
  });

  it('keeps a base path of the Atlas URL, with or without its trailing slash', async () => {
    const identity = { publicKey: 'abcdwxyz', ha1: digestHa1('abcdwxyz', 'secret') };
    for (const base of [`${fake.url}/prefix/`, `${fake.url}/prefix`, `${fake.url}/prefix//`]) {
      fake.requests.length = 0;
      const answer = await digestCall({ baseUrl: new URL(base), timeoutMs: 2000 }, identity, { method: 'DELETE', path: '/api/private/x?y=1' });
      assert.equal(answer.status, 204, base);
      assert.deepEqual(
        fake.requests.map((r) => r.url),
        ['/prefix/api/private/x?y=1', '/prefix/api/private/x?y=1'],
        base,
      );
      assert.match(fake.requests[1]!.headers.authorization!, /uri="\/prefix\/api\/private\/x\?y=1"/, 'the digest signs the path that was sent');
    }
  });

  it('joins paths without losing or inventing a host', () => {
    assert.equal(urlUnder(new URL('http://h:1'), '/api/a').href, 'http://h:1/api/a');
    assert.equal(urlUnder(new URL('http://h:1/'), '/api/a').href, 'http://h:1/api/a');
    assert.equal(urlUnder(new URL('https://h/p/q/'), '/api/a').href, 'https://h/p/q/api/a');
    assert.equal(urlUnder(new URL('http://h//evil.example/'), '/api/a').href, 'http://h/evil.example/api/a');
  });
});
