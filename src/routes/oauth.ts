import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from './atlasRequest.js';
import { ApiError } from '../http/errors.js';
import { markSecret } from '../http/securityHeaders.js';
import { type ServiceAccountRecord } from '../store/serviceAccounts.js';
import { StoreUnavailableError } from '../store/store.js';

// OAuth 2.0 for service accounts, at Atlas's paths: POST /api/oauth/token (client credentials,
// RFC 6749 §4.4) and POST /api/oauth/revoke (RFC 7009). Errors here are OAuth errors
// (`{"error": "invalid_client", "error_description": …}`, as Atlas documents), not ApiErrors:
// OAuth client libraries parse exactly that shape.

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'server_error' | 'temporarily_unavailable';

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

const INVALID_CLIENT = () => new OAuthError(401, 'invalid_client', 'Invalid credentials provided.');

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64; older clients send them raw. */
function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function clientCredentials(request: FastifyRequest, body: Record<string, unknown>): { id: string; secret: string } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match) return undefined;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  }
  if (typeof body.client_id === 'string' && typeof body.client_secret === 'string') {
    return { id: body.client_id, secret: body.client_secret };
  }
  return undefined;
}

function formBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new OAuthError(400, 'invalid_request', 'The request body must be a form.');
  return body as Record<string, unknown>;
}

function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  if (error.status === 401) reply.header('www-authenticate', 'Basic realm="MMS Public API"');
  return reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .header('content-type', 'application/json')
    // Like every pushlink error, the code is in a header too (the body stays RFC 6749's shape).
    .header('x-error-code', error.error.toUpperCase())
    .send(Buffer.from(JSON.stringify({ error: error.error, error_description: error.description })));
}

export function oauthRoutes({ accessTokens, metrics }: AppContext): FastifyPluginAsync {
  async function authenticateClient(request: FastifyRequest, body: Record<string, unknown>): Promise<ServiceAccountRecord> {
    const credentials = clientCredentials(request, body);
    if (!credentials) throw INVALID_CLIENT();
    const account = await accessTokens.verifyClient(credentials.id, credentials.secret);
    if (!account) throw INVALID_CLIENT();
    request.oauthClientId = account.clientId;
    return account;
  }

  return async (app) => {
    await app.register(formbody);
    app.setErrorHandler((error, request, reply) => {
      if (error instanceof OAuthError) {
        if (error.error === 'invalid_client') metrics.authFailure('invalid_client');
        return sendOAuthError(reply, error);
      }
      const status = error instanceof ApiError ? error.status : (error as { statusCode?: number }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return sendOAuthError(reply, new OAuthError(400, 'invalid_request', 'The request could not be read as a form.'));
      }
      if (error instanceof StoreUnavailableError) {
        request.log.warn({ err: error }, 'store unavailable');
        return sendOAuthError(reply, new OAuthError(503, 'temporarily_unavailable', 'The service is temporarily unavailable.'));
      }
      request.log.error({ err: error }, 'unexpected error');
      return sendOAuthError(reply, new OAuthError(500, 'server_error', 'Unexpected error.'));
    });

    app.post('/token', async (request, reply) => {
      const body = formBody(request);
      const account = await authenticateClient(request, body);
      if (body.grant_type === undefined) throw new OAuthError(400, 'invalid_request', 'grant_type is required.');
      if (body.grant_type !== 'client_credentials') {
        throw new OAuthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
      }
      const accessToken = await accessTokens.issue(account);
      return markSecret(reply)
        .header('content-type', 'application/json')
        .send(JSON.stringify({ access_token: accessToken, expires_in: accessTokens.ttlSeconds, token_type: 'Bearer' }));
    });

    app.post('/revoke', async (request, reply) => {
      const body = formBody(request);
      const account = await authenticateClient(request, body);
      if (typeof body.token !== 'string' || body.token.length === 0) {
        throw new OAuthError(400, 'invalid_request', 'token is required.');
      }
      await accessTokens.revoke(account, body.token);
      return reply.code(200).header('cache-control', 'no-store').send();
    });
  };
}
