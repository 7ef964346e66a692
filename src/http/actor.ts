import type { FastifyRequest } from 'fastify';
import type { Actor } from '../domain/events.js';

// Who an Atlas request acts as, for the events its changes record: the API key (id and public
// key) or service account (client id) that authenticated it, and the address it came from.

export function actorOf(request: FastifyRequest): Actor {
  const principal = request.principal;
  const remoteAddress = request.ip || null;
  if (!principal) return { actor: null, remoteAddress };
  if (principal.type === 'API_KEY') return { actor: { apiKeyId: principal.apiKeyId!, publicKey: principal.id }, remoteAddress };
  return { actor: { clientId: principal.id }, remoteAddress };
}
