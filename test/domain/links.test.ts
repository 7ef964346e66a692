import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.js';
import { decodeLinkToken, encodeLinkToken } from '../../src/domain/links.js';

// The example from ../shared/reference/link-token.md §1.1 (synthetic values, real format).
const REAL_FORMAT_TOKEN =
  'eyJvcmdJZCI6IjVmMDAwMDAwMDAwMDAwMDAwMDAwMDAwMSIsIm9yZ05hbWUiOiJFeGFtcGxlIE9yZyIsInByaXZhdGVBcGlLZXkiOiIwMDAwMDAwMC0xMTExLTQyMjItODMzMy00NDQ0NDQ0NDQ0NDQiLCJwdWJsaWNBcGlLZXkiOiJhYmNkd3h5eiJ9';
const CONTENTS = {
  orgId: '5f0000000000000000000001',
  orgName: 'Example Org',
  privateApiKey: '00000000-1111-4222-8333-444444444444',
  publicApiKey: 'abcdwxyz',
};

describe('link-token encoding', () => {
  it('encodes exactly like Atlas: standard base64 of compact JSON, keys in Atlas order', () => {
    assert.equal(encodeLinkToken(CONTENTS), REAL_FORMAT_TOKEN);
    // Field order in the input does not matter.
    const shuffled = { publicApiKey: CONTENTS.publicApiKey, orgName: CONTENTS.orgName, privateApiKey: CONTENTS.privateApiKey, orgId: CONTENTS.orgId };
    assert.equal(encodeLinkToken(shuffled), REAL_FORMAT_TOKEN);
  });

  it('decodes a real-format token', () => {
    assert.deepEqual(decodeLinkToken(REAL_FORMAT_TOKEN), CONTENTS);
  });

  it('pads with = when the JSON length needs it, and round-trips', () => {
    const tokens = ['a', 'ab', 'abc'].map((orgName) => {
      const token = encodeLinkToken({ ...CONTENTS, orgName });
      assert.deepEqual(decodeLinkToken(token), { ...CONTENTS, orgName });
      assert.equal(token, Buffer.from(JSON.stringify({ ...CONTENTS, orgName })).toString('base64'));
      return token;
    });
    assert.deepEqual(tokens.map((t) => (t.match(/=*$/) ?? [''])[0].length).sort(), [0, 1, 2]);
  });

  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
  const cases: Array<[string, unknown, RegExp]> = [
    ['not a string', 42, /non-empty string/],
    ['empty', '', /non-empty string/],
    ['not base64', 'not base64!', /not standard base64/],
    ['url-safe base64', b64({ ...CONTENTS, orgName: '??>>' }).replace(/\+/g, '-').replace(/\//g, '_'), /not standard base64|JSON/],
    ['not JSON', b64('hello world'), /does not decode to JSON/],
    ['a JSON array', b64([1, 2]), /JSON object/],
    ['missing field', b64({ orgId: CONTENTS.orgId, orgName: 'x', publicApiKey: 'abcdwxyz' }), /privateApiKey is missing/],
    ['non-string field', b64({ ...CONTENTS, orgName: 7 }), /orgName is missing or not a string/],
    ['extra field', b64({ ...CONTENTS, baseUrl: 'http://x' }), /unexpected field baseUrl/],
    ['bad orgId', b64({ ...CONTENTS, orgId: 'xyz' }), /orgId/],
    ['bad public key', b64({ ...CONTENTS, publicApiKey: 'ABCDEFGH' }), /publicApiKey/],
    ['bad private key', b64({ ...CONTENTS, privateApiKey: 'secret' }), /privateApiKey is not a UUID/],
    ['too long', 'A'.repeat(5000), /longer than/],
  ];
  for (const [name, token, message] of cases) {
    it(`refuses a token that is ${name}`, () => {
      assert.throws(() => decodeLinkToken(token), (e: unknown) => e instanceof DomainError && e.kind === 'INVALID_LINK_TOKEN' && message.test(e.message));
    });
  }
});
