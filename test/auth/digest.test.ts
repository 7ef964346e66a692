import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import {
  checkDigestShape,
  checkNonce,
  digestChallenge,
  digestResponse,
  mintNonce,
  parseDigestAuthorization,
} from '../../src/auth/digest.js';
import { digestHa1 } from '../../src/domain/secrets.js';
import { parseChallengeLikeGoSdk } from '../helpers/http.js';

describe('RFC 7616 / RFC 2617 vectors', () => {
  it('RFC 7616 §3.9.1 (MD5, qop=auth)', () => {
    const ha1 = digestHa1('Mufasa', 'Circle of Life', 'http-auth@example.org');
    const response = digestResponse(ha1, 'GET', {
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      uri: '/dir/index.html',
      response: '',
      qop: 'auth',
      nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    });
    assert.equal(response, '8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const ha1 = digestHa1('Mufasa', 'Circle Of Life', 'testrealm@host.com');
    const response = digestResponse(ha1, 'GET', {
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      response: '',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    });
    assert.equal(response, '6629fae49393a05397450978507c4ef1');
  });

  it('parses the RFC 7616 §3.9.1 Authorization header', () => {
    const header =
      'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, ' +
      'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ' +
      'qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    const parsed = parseDigestAuthorization(header);
    assert.deepEqual(parsed, {
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      uri: '/dir/index.html',
      response: '8ca523f5e9506fed4657c9700eebdbec',
      algorithm: 'MD5',
      qop: 'auth',
      nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    });
  });
});

describe('parseDigestAuthorization', () => {
  it('accepts the Go SDK form (algorithm quoted, qop and nc bare)', () => {
    const parsed = parseDigestAuthorization(
      'Digest username="pub", realm="MMS Public API", nonce="n", uri="/a?b=c", response="r", algorithm="MD5", qop=auth, nc=00000001, cnonce="45f5cf61a89e231a"',
    );
    assert.equal(parsed?.algorithm, 'MD5');
    assert.equal(parsed?.uri, '/a?b=c');
    assert.equal(parsed?.nc, '00000001');
  });
  it('unescapes quoted-pairs', () => {
    assert.equal(parseDigestAuthorization('Digest username="a\\"b", realm="", nonce="n", uri="/", response="r"')?.username, 'a"b');
  });
  for (const bad of [
    'Basic abc',
    'Digest',
    'Digest username="a"',
    'Digest username="a", username="b", realm="r", nonce="n", uri="/", response="r"',
    'Digest username="a" realm="r"',
    'Digest username="a, realm="r", nonce="n", uri="/", response="r"',
    'Digest username="x", realm="r", nonce="n", uri="/", response="r", ' + 'a'.repeat(5000),
  ]) {
    it(`refuses ${JSON.stringify(bad.slice(0, 60))}`, () => assert.equal(parseDigestAuthorization(bad), undefined));
  }
});

describe('challenge', () => {
  it('is byte-for-byte Atlas format and parses with the Go SDK rules', () => {
    const challenge = digestChallenge('Oa3cbgjHWTL8dJ8pYtsrDwHbcLBLwq+y', false);
    assert.equal(
      challenge,
      'Digest realm="MMS Public API", domain="", nonce="Oa3cbgjHWTL8dJ8pYtsrDwHbcLBLwq+y", algorithm=MD5, qop="auth", stale=false',
    );
    assert.deepEqual(parseChallengeLikeGoSdk(challenge), {
      realm: 'MMS Public API',
      domain: '',
      nonce: 'Oa3cbgjHWTL8dJ8pYtsrDwHbcLBLwq+y',
      algorithm: 'MD5',
      qop: 'auth',
      stale: 'false',
    });
  });
});

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
