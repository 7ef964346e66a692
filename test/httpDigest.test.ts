import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestAuthorization, digestChallenge, digestHa1, digestResponse, parseDigestAuthorization, parseDigestChallenge } from '../src/httpDigest.js';
import { parseChallengeLikeGoSdk } from './helpers/http.js';

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

describe('client side', () => {
  it("reads the server's own challenge", () => {
    assert.deepEqual(parseDigestChallenge(digestChallenge('Oa3cbgjHWTL8dJ8pYtsrDwHbcLBLwq+y', true)), {
      realm: 'MMS Public API',
      domain: '',
      nonce: 'Oa3cbgjHWTL8dJ8pYtsrDwHbcLBLwq+y',
      algorithm: 'MD5',
      qop: 'auth',
      stale: 'true',
    });
  });
  it('keeps the directives before one that does not parse, and knows no challenge but Digest', () => {
    assert.deepEqual(parseDigestChallenge('Digest realm="r", nonce="n", broken'), { realm: 'r', nonce: 'n' });
    assert.equal(parseDigestChallenge('Basic realm="r"'), undefined);
    assert.equal(parseDigestChallenge(undefined), undefined);
  });
  it('signs an answer the server side parses and verifies', () => {
    const ha1 = digestHa1('pub', 'secret');
    const header = digestAuthorization(ha1, { method: 'POST', uri: '/api/x?y=1' }, { username: 'pub', nonce: 'n', nc: '00000001', cnonce: 'c', opaque: 'o' });
    assert.equal(
      header,
      `Digest username="pub", realm="MMS Public API", nonce="n", uri="/api/x?y=1", response="${digestResponse(ha1, 'POST', { username: 'pub', realm: 'MMS Public API', nonce: 'n', uri: '/api/x?y=1', qop: 'auth', nc: '00000001', cnonce: 'c' })}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c", opaque="o"`,
    );
    const parsed = parseDigestAuthorization(header);
    assert.ok(parsed);
    assert.equal(parsed.response, digestResponse(ha1, 'POST', parsed));
  });
});
