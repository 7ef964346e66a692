import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { checkDigestShape, checkNonce, mintNonce } from '../../src/auth/digest.js';

describe('nonces', () => {
  const key = crypto.randomBytes(32);
  it('are 32 base64 characters like Atlas nonces', () => {
    assert.match(mintNonce(key, Date.now()), /^[A-Za-z0-9+/]{32}$/);
  });
  it('are fresh, then stale after the TTL', () => {
    const now = Date.now();
    const nonce = mintNonce(key, now);
    assert.equal(checkNonce(key, nonce, now + 1000, 60_000), 'valid');
    assert.equal(checkNonce(key, nonce, now + 61_000, 60_000), 'stale');
  });
  it('from another key, altered, or made up are invalid', () => {
    const now = Date.now();
    const nonce = mintNonce(key, now);
    assert.equal(checkNonce(crypto.randomBytes(32), nonce, now, 60_000), 'invalid');
    const flipped = Buffer.from(nonce, 'base64');
    flipped[0]! ^= 1;
    assert.equal(checkNonce(key, flipped.toString('base64'), now, 60_000), 'invalid');
    assert.equal(checkNonce(key, 'dcd98b7102dd2f0e8b11d0f600bfb0c093', now, 60_000), 'invalid');
    assert.equal(checkNonce(key, '', now, 60_000), 'invalid');
  });
});

describe('checkDigestShape', () => {
  const key = crypto.randomBytes(32);
  const now = Date.now();
  const base = {
    username: 'pub',
    realm: 'MMS Public API',
    nonce: mintNonce(key, now),
    uri: '/x',
    response: 'r',
    algorithm: 'MD5',
    qop: 'auth',
    nc: '00000001',
    cnonce: 'abc',
  };
  const request = { method: 'GET', url: '/x' };
  const refusal = (changes: Record<string, unknown>) => {
    const result = checkDigestShape({ ...base, ...changes } as typeof base, request, key, now, 60_000);
    return 'refusal' in result ? result.refusal : result.nonce;
  };
  it('accepts the Go SDK answer, and algorithm in any case or absent', () => {
    assert.equal(refusal({}), 'valid');
    assert.equal(refusal({ algorithm: 'md5' }), 'valid');
    assert.equal(refusal({ algorithm: undefined }), 'valid');
  });
  it('refuses each way the answer departs from Atlas digest', () => {
    assert.equal(refusal({ realm: 'Other' }), 'wrong_realm');
    assert.equal(refusal({ algorithm: 'SHA-256' }), 'unsupported_algorithm');
    assert.equal(refusal({ algorithm: 'MD5-sess' }), 'unsupported_algorithm');
    assert.equal(refusal({ qop: undefined }), 'unsupported_qop');
    assert.equal(refusal({ qop: 'auth-int' }), 'unsupported_qop');
    assert.equal(refusal({ nc: '1' }), 'malformed');
    assert.equal(refusal({ cnonce: undefined }), 'malformed');
    assert.equal(refusal({ uri: '/y' }), 'uri_mismatch');
    assert.equal(refusal({ nonce: 'forged' }), 'forged_nonce');
  });
});
