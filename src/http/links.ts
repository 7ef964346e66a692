import type { FastifyRequest } from 'fastify';
import { publicBaseUrl } from './publicOrigin.js';

// Where the links in answers point: the Atlas Administration API v2 at the public origin
// publicOrigin.ts decides (--public-url, else a valid Host, else the local address).

export function atlasApiBase(request: FastifyRequest): string {
  return `${publicBaseUrl(request)}/api/atlas/v2`;
}
