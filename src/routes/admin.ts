import type { FastifyPluginAsync, FastifyRequest, FastifyReply } from 'fastify';
import type { AppContext } from './atlasRequest.js';
import { isLocalAdmin } from '../auth/localAdmin.js';
import { assertAccessListAllows, authorizeOrg } from '../auth/authorize.js';
import { ClockError, parseDuration } from '../domain/clock.js';
import { FaultRuleError } from '../domain/faults.js';
import { isOrgOwner } from '../domain/roles.js';
import { ApiError } from '../http/errors.js';
import { objectBodySchema } from './schemas.js';

// pushlink's own controls for testing a client's error handling: fault rules and the clock. Not
// part of Atlas's API (its prefix says so, /api/private/pushlink). Who may use them:
//  - the local administrator (the admin token in the data dir's admin.json): everything;
//  - an Organization Owner (digest or OAuth, as for Atlas's API): the faults of their own org, and
//    the clock where the server was started with a controllable one (it is off by default);
//  - nobody else: a member key is refused, and the live-migration link key always is, so what a
//    source side holds can never reach them.

type Access = { kind: 'global' } | { kind: 'org'; orgId: string } | { kind: 'anyOwner' };

export function adminRoutes(context: AppContext): FastifyPluginAsync {
  const { faults, controllableClock, clock } = context;

  /**
   * The onRequest hook of a control: may the caller use it? Decided before the body is read, so a
   * digest client's first, empty request gets its challenge.
   */
  function authorize(access: (request: FastifyRequest) => Access) {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      reply.header('content-type', 'application/json');
      await checkCaller(request, access(request));
    };
  }

  async function checkCaller(request: FastifyRequest, access: Access): Promise<void> {
    if (isLocalAdmin(request.headers.authorization, context.adminTokenHash)) return;
    const principal = await context.authenticator.authenticate({ method: request.method, url: request.url, authorization: request.headers.authorization });
    request.principal = principal;
    assertAccessListAllows(principal, request.socket.remoteAddress ?? '');
    if (principal.isLinkKey) throw new ApiError('ACCESS_FORBIDDEN');
    if (access.kind === 'global') throw new ApiError('ACCESS_FORBIDDEN');
    if (access.kind === 'org') authorizeOrg(principal, access.orgId, 'ORG_OWNER');
    else if (!isOrgOwner(principal.roles)) throw new ApiError('NOT_ORG_OWNER', [principal.orgId]);
  }

  const addRule = (body: unknown, orgId: string | undefined) => {
    try {
      return faults.add(body, orgId);
    } catch (error) {
      if (error instanceof FaultRuleError) throw new ApiError('INVALID_FAULT_RULE', [error.message], { fields: [{ field: error.field, description: error.message }] });
      throw error;
    }
  };
  const clearRules = (ruleId: string | undefined, orgId: string | undefined) => {
    const removed = faults.clear({ ...(ruleId !== undefined ? { id: ruleId } : {}), ...(orgId !== undefined ? { orgId } : {}) });
    if (ruleId !== undefined && removed === 0) throw new ApiError('RESOURCE_NOT_FOUND', [`fault rule ${ruleId}`]);
    return { removed };
  };
  const listRules = (orgId: string | undefined) => {
    const results = faults.list(orgId);
    return { results, totalCount: results.length };
  };

  const global = authorize(() => ({ kind: 'global' }));
  const ofOrg = authorize((request) => ({ kind: 'org', orgId: (request.params as { orgId: string }).orgId }));
  const anyOwner = authorize(() => ({ kind: 'anyOwner' }));
  /** The org whose rules a request may touch: the one it names, whoever asks (the local admin too). */
  const orgOf = (request: FastifyRequest) => (request.params as { orgId: string }).orgId;

  return async (app) => {
    app.get('/pushlink/faults', { onRequest: global }, async () => listRules(undefined));
    app.post('/pushlink/faults', { onRequest: global, schema: { body: objectBodySchema } }, async (request, reply) =>
      reply.code(201).send(addRule(request.body, undefined)),
    );
    app.delete<{ Params: { ruleId?: string } }>('/pushlink/faults/:ruleId?', { onRequest: global }, async (request) => clearRules(request.params.ruleId, undefined));

    app.get('/pushlink/orgs/:orgId/faults', { onRequest: ofOrg }, async (request) => listRules(orgOf(request)));
    app.post('/pushlink/orgs/:orgId/faults', { onRequest: ofOrg, schema: { body: objectBodySchema } }, async (request, reply) =>
      reply.code(201).send(addRule(request.body, orgOf(request))),
    );
    app.delete<{ Params: { orgId: string; ruleId?: string } }>('/pushlink/orgs/:orgId/faults/:ruleId?', { onRequest: ofOrg }, async (request) =>
      clearRules(request.params.ruleId, orgOf(request)),
    );

    app.get('/pushlink/clock', { onRequest: anyOwner }, async () =>
      controllableClock ? { controllable: true, ...controllableClock.state() } : { controllable: false, now: clock.now().toISOString(), offsetMs: 0, rate: 1 },
    );
    app.post<{ Body: { by?: unknown } }>('/pushlink/clock/advance', { onRequest: anyOwner, schema: { body: objectBodySchema } }, async (request) => {
      if (!controllableClock) throw new ApiError('CLOCK_NOT_CONTROLLABLE');
      const extra = Object.keys(request.body).find((key) => key !== 'by');
      if (extra !== undefined) throw new ApiError('INVALID_ATTRIBUTE', [extra]);
      if (typeof request.body.by !== 'string') throw new ApiError('MISSING_ATTRIBUTE', ['by']);
      try {
        const state = controllableClock.advance(parseDuration(request.body.by));
        request.log.warn({ by: request.body.by, now: state.now }, 'clock advanced');
        return { controllable: true, ...state };
      } catch (error) {
        if (error instanceof ClockError) throw new ApiError('INVALID_JSON_ATTRIBUTE', ['by'], { fields: [{ field: 'by', description: error.message }] });
        throw error;
      }
    });
  };
}

