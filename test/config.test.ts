import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { resolveServeConfig } from '../src/config.js';
import { ConfigError } from '../src/configError.js';

describe('resolveServeConfig: TLS, metrics port, log format', () => {
  it('defaults to plain HTTP, metrics on the API port, log format auto', () => {
    const config = resolveServeConfig({}, {});
    assert.equal(config.tls, undefined);
    assert.equal(config.metricsPort, undefined);
    assert.equal(config.logFormat, 'auto');
  });

  it('reads TLS from flags or the environment, flags first', () => {
    assert.deepEqual(resolveServeConfig({ tls: 'self-signed' }, {}).tls, { kind: 'self-signed' });
    assert.deepEqual(resolveServeConfig({}, { PUSHLINK_TLS: 'SELF-SIGNED' }).tls, { kind: 'self-signed' });
    assert.deepEqual(resolveServeConfig({}, { PUSHLINK_TLS_CERT: 'c.pem', PUSHLINK_TLS_KEY: 'k.pem' }).tls, {
      kind: 'files',
      certFile: path.resolve('c.pem'),
      keyFile: path.resolve('k.pem'),
    });
    assert.deepEqual(resolveServeConfig({ tlsCert: '/x/c.pem' }, { PUSHLINK_TLS_CERT: '/y/c.pem', PUSHLINK_TLS_KEY: '/y/k.pem' }).tls, {
      kind: 'files',
      certFile: '/x/c.pem',
      keyFile: '/y/k.pem',
    });
  });

  it('refuses half or contradictory TLS settings', () => {
    assert.throws(() => resolveServeConfig({ tls: 'on' }, {}), ConfigError);
    assert.throws(() => resolveServeConfig({ tlsCert: 'c.pem' }, {}), /go together/);
    assert.throws(() => resolveServeConfig({ tlsKey: 'k.pem' }, {}), /go together/);
    assert.throws(() => resolveServeConfig({ tls: 'self-signed', tlsCert: 'c.pem', tlsKey: 'k.pem' }, {}), /exclude each other/);
  });

  it('reads the metrics port and log format, and refuses bad ones', () => {
    assert.equal(resolveServeConfig({ metricsPort: '9464' }, {}).metricsPort, 9464);
    assert.equal(resolveServeConfig({}, { PUSHLINK_METRICS_PORT: '0' }).metricsPort, 0);
    assert.throws(() => resolveServeConfig({ metricsPort: 'x' }, {}), ConfigError);
    assert.throws(() => resolveServeConfig({ port: '9000', metricsPort: '9000' }, {}), /must differ/);
    assert.equal(resolveServeConfig({ logFormat: 'PRETTY' }, {}).logFormat, 'pretty');
    assert.equal(resolveServeConfig({}, { PUSHLINK_LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.throws(() => resolveServeConfig({ logFormat: 'xml' }, {}), /--log-format/);
  });
});

describe('resolveServeConfig: --public-url', () => {
  it('is unset by default, read from the flag or PUSHLINK_PUBLIC_URL (flag first), kept without a trailing slash', () => {
    assert.equal(resolveServeConfig({}, {}).publicUrl, undefined);
    assert.equal(resolveServeConfig({}, { PUSHLINK_PUBLIC_URL: 'https://Atlas.Example.com:443/prefix/' }).publicUrl, 'https://atlas.example.com/prefix');
    assert.equal(resolveServeConfig({ publicUrl: 'http://a:8080/' }, { PUSHLINK_PUBLIC_URL: 'http://b' }).publicUrl, 'http://a:8080');
  });

  it('refuses what is not an http(s) origin with an optional path', () => {
    for (const text of ['nope', 'ftp://a', 'http://u:p@a', 'http://a/?q=1', 'http://a/#f']) {
      assert.throws(() => resolveServeConfig({ publicUrl: text }, {}), ConfigError, text);
    }
  });
});
