import { ApiError } from './errors.js';

// Atlas's versioned media types. A client asks for a date in `Accept:
// application/vnd.atlas.YYYY-MM-DD+json`; it is served the operation's newest resource version
// released on or before that date (the Atlas docs' own curl sends 2024-10-23 to an operation
// whose only version is 2023-01-01, and expects success). No versioned Accept, an impossible date,
// or a date before the first version → 406 INVALID_VERSION_DATE.

const VERSIONED_JSON = /^application\/vnd\.atlas\.(\d{4}-\d{2}-\d{2})\+json$/i;

function isCalendarDate(date: string): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const parsed = new Date(Date.UTC(y, m - 1, d));
  return parsed.getUTCFullYear() === y && parsed.getUTCMonth() === m - 1 && parsed.getUTCDate() === d;
}

/** The requested version date from an Accept header (first versioned JSON type listed), or null. */
export function requestedVersionDate(accept: string | undefined): string | null {
  if (!accept) return null;
  for (const range of accept.split(',')) {
    const mediaType = range.split(';', 1)[0]!.trim();
    const match = VERSIONED_JSON.exec(mediaType);
    if (match) return isCalendarDate(match[1]!) ? match[1]! : null;
  }
  return null;
}

/** Newest version in `available` (ascending ISO dates) on or before `requested`. */
export function resolveResourceVersion(requested: string, available: readonly string[]): string | null {
  let chosen: string | null = null;
  for (const version of available) if (version <= requested) chosen = version;
  return chosen;
}

// Clients send the same few Accept headers over and over: remember each answer (per list of
// versions), up to a bound that a client making up headers cannot grow past.
const MAX_REMEMBERED = 1000;
const negotiated = new WeakMap<readonly string[], Map<string, string | null>>();

export function negotiateVersion(accept: string | undefined, available: readonly string[]): string {
  let answers = negotiated.get(available);
  if (!answers) {
    answers = new Map();
    negotiated.set(available, answers);
  }
  const key = accept ?? '';
  let version = answers.get(key);
  if (version === undefined) {
    const requested = requestedVersionDate(accept);
    version = requested === null ? null : resolveResourceVersion(requested, available);
    if (answers.size < MAX_REMEMBERED) answers.set(key, version);
  }
  if (version === null) throw new ApiError('INVALID_VERSION_DATE');
  return version;
}

const contentTypes = new Map<string, string>();

/** `application/vnd.atlas.<version>+json;charset=utf-8`, as Atlas echoes it. */
export function versionedContentType(version: string): string {
  let value = contentTypes.get(version);
  if (!value) {
    value = `application/vnd.atlas.${version}+json;charset=utf-8`;
    contentTypes.set(version, value);
  }
  return value;
}

/** Request bodies may be plain JSON or any versioned Atlas JSON type. */
export const REQUEST_JSON_CONTENT_TYPE = /^application\/vnd\.atlas\.\d{4}-\d{2}-\d{2}\+json(?:;|$)/;

/** When Atlas deprecated a resource version (a newer one's release) and when it goes away. ISO dates. */
export interface VersionLifecycle {
  deprecation: string;
  sunset: string;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An HTTP date as Atlas writes these headers: the day not zero-padded (`Mon, 5 Aug 2024 00:00:00 GMT`). */
function atlasHttpDate(isoDate: string): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  return `${WEEKDAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} 00:00:00 GMT`;
}

export function deprecationHeaders(lifecycle: VersionLifecycle): Record<string, string> {
  return { deprecation: atlasHttpDate(lifecycle.deprecation), sunset: atlasHttpDate(lifecycle.sunset) };
}
