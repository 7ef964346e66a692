import type { FastifyRequest } from 'fastify';
import { publicBaseUrl } from './publicOrigin.js';

// Where the links in answers point: the Atlas Administration API v2 at the public origin
// publicOrigin.ts decides (--public-url, else a valid Host, else the local address).

export function atlasApiBase(request: FastifyRequest): string {
  return `${publicBaseUrl(request)}/api/atlas/v2`;
}

/** An ISO instant as Atlas writes `created` and `createDate`: whole seconds, `Z`. */
export function atlasInstant(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}
