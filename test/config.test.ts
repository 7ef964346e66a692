import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, resolveServeConfig } from '../src/config.js';

describe('resolveServeConfig: metrics port, log format', () => {
  it('defaults to metrics on the API port, log format auto', () => {
    const config = resolveServeConfig({}, {});
    assert.equal(config.metricsPort, undefined);
    assert.equal(config.logFormat, 'auto');
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
