import { createApiKey } from '../../src/domain/apiKeys.js';
import { createServiceAccount } from '../../src/domain/serviceAccounts.js';
import { ATLAS_JSON, digestRequest, request, requestAccessToken, type Credentials, type TestRequest, type TestResponse } from './http.js';
import type { TestServer } from './server.js';

// Atlas-shaped calls against a test server: digest (Go SDK style) and bearer (OAuth) flavours.

export interface CallOptions extends TestRequest {
  json?: unknown;
}

function withJson(options: CallOptions): TestRequest {
  const headers: Record<string, string | undefined> = { accept: ATLAS_JSON, ...options.headers };
  if (options.json !== undefined) {
    return { ...options, headers: { 'content-type': ATLAS_JSON, ...headers }, body: JSON.stringify(options.json) };
  }
  return { ...options, headers };
}

export function digestCall(server: TestServer, path: string, credentials: Credentials, options: CallOptions = {}): Promise<TestResponse> {
  return digestRequest(server.url + path, credentials, withJson(options));
}

export function bearerCall(server: TestServer, path: string, accessToken: string, options: CallOptions = {}): Promise<TestResponse> {
  const prepared = withJson(options);
  return request(server.url + path, { ...prepared, headers: { ...prepared.headers, authorization: `Bearer ${accessToken}` } });
}

export function bootstrapKey(server: TestServer): Credentials {
  return server.bootstrap.apiKey;
}

export async function accessToken(server: TestServer, clientId: string, clientSecret: string, urlEncoded = false): Promise<string> {
  const res = await requestAccessToken(server.url, { clientId, clientSecret }, { urlEncoded });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
  return res.json.access_token as string;
}

export function bootstrapToken(server: TestServer): Promise<string> {
  const sa = server.bootstrap.serviceAccount;
  return accessToken(server, sa.clientId, sa.clientSecret);
}

export async function newKey(server: TestServer, roles: string[], accessList: string[] = [], orgId = server.bootstrap.orgId): Promise<Credentials> {
  const { record, privateKey } = await createApiKey(server.store, { orgId, roles, accessList });
  return { publicKey: record.publicKey, privateKey };
}

export async function newServiceAccount(server: TestServer, roles: string[], accessList: string[] = [], orgId = server.bootstrap.orgId) {
  const { record, clientSecret } = await createServiceAccount(server.store, { orgId, roles, accessList });
  return { clientId: record.clientId, clientSecret };
}

export const linkTokensPath = (orgId: string) => `/api/atlas/v2/orgs/${orgId}/liveMigrations/linkTokens`;

export function decodeToken(linkToken: string) {
  return JSON.parse(Buffer.from(linkToken, 'base64').toString('utf8')) as {
    orgId: string;
    orgName: string;
    privateApiKey: string;
    publicApiKey: string;
  };
}

/**
 * Whether the response is an Atlas ApiError with the given status and code. `parameters` is there
 * in every ApiError but a 401 challenge's, which Atlas sends without it.
 */
/** A 401 challenge (digest, or bearer for a refused token), whose body Atlas sends with no `parameters`. */
export function isChallengeBody(res: TestResponse): boolean {
  return res.status === 401 && res.json?.errorCode === 'UNEXPECTED_ERROR' && /^(Digest|Bearer) /.test(String(res.headers['www-authenticate']));
}

export function isApiError(res: TestResponse, status: number, errorCode: string): boolean {
  return (
    res.status === status &&
    res.headers['content-type'] === 'application/json' &&
    res.headers['x-error-code'] === errorCode &&
    res.json?.error === status &&
    res.json?.errorCode === errorCode &&
    typeof res.json?.detail === 'string' &&
    typeof res.json?.reason === 'string' &&
    ('parameters' in res.json || isChallengeBody(res))
  );
}
