import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StoreUnavailableError } from '../src/store/store.js';
import { ATLAS_JSON, digestRequest, request } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

// How the app answers when its store cannot serve: 503, never a 500, and no internals in the body.

describe('a store that cannot serve', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
    const unavailable = async (): Promise<never> => {
      throw new StoreUnavailableError('the database did not answer in time (internal detail)');
    };
    server.store.orgs.findApiKeyByPublicKey = unavailable;
    server.store.serviceAccounts.findServiceAccount = unavailable;
  });
  after(() => server.close());

  it('answers an Atlas call 503 SERVICE_UNAVAILABLE', async () => {
    const res = await digestRequest(`${server.url}/api/atlas/v2/orgs`, server.bootstrap.apiKey, { headers: { accept: ATLAS_JSON } });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.headers['x-error-code'], 'SERVICE_UNAVAILABLE');
    assert.deepEqual(res.json, {
      detail: 'The service is temporarily unavailable.',
      error: 503,
      errorCode: 'SERVICE_UNAVAILABLE',
      parameters: [],
      reason: 'Service Unavailable',
    });
    assert.ok(!res.text.includes('internal detail'));
  });

  it('answers an OAuth token request 503 temporarily_unavailable', async () => {
    const sa = server.bootstrap.serviceAccount;
    const res = await request(`${server.url}/api/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${sa.clientId}:${sa.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 503, res.text);
    assert.deepEqual(res.json, { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable.' });
  });
});
