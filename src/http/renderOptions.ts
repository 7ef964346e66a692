import { ApiError } from './errors.js';

// `envelope` and `pretty` as a request asks for them in its query string. Apart from render.ts so
// that the error catalogue can render bodies without importing back the ApiError it owns.

export interface RenderOptions {
  envelope: boolean;
  pretty: boolean;
}

const NO_OPTIONS: RenderOptions = Object.freeze({ envelope: false, pretty: false });

function parseBooleanQuery(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ApiError('INVALID_QUERY_PARAMETER', [name]);
}

/** Reads `envelope` and `pretty` from a parsed query string; anything but true/false is a 400. */
export function parseRenderOptions(query: Record<string, unknown>): RenderOptions {
  if (query.envelope === undefined && query.pretty === undefined) return NO_OPTIONS;
  return { envelope: parseBooleanQuery('envelope', query.envelope), pretty: parseBooleanQuery('pretty', query.pretty) };
}
