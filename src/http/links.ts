import type { FastifyRequest } from 'fastify';

// Where the links in answers point: the Atlas Administration API v2 as this request reached it.

export function atlasApiBase(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/api/atlas/v2`;
}

/** An ISO instant as Atlas writes `created` and `createDate`: whole seconds, `Z`. */
export function atlasInstant(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}
