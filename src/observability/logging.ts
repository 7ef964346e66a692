import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import type { LogFormat } from '../config.js';

// Logging: pino through Fastify, one JSON object a line (readable lines on a terminal). Secrets
// never reach a log: request and response bodies are never logged, and in case a header, a body
// or a decoded token or credential is ever passed to a log call, these paths are censored at
// every level. No path starts with a wildcard: pino would then run every value of every line
// (and every request's child-logger bindings) through the censor, about 1 µs per request.

const SECRET_FIELDS = ['authorization', 'cookie', 'linkToken', 'privateApiKey', 'privateKey', 'clientSecret', 'client_secret', 'access_token', 'accessToken', 'password'];
const SECRET_PARENTS = ['headers', 'req.headers', 'token', 'credentials', 'account', 'key', 'apiKey', 'serviceAccount', 'contents'];

/** Bodies are censored whole; secret fields at the top level and under the parents above. */
export const REDACTED_PATHS = ['body', 'req.body', ...SECRET_FIELDS, ...SECRET_PARENTS.flatMap((parent) => SECRET_FIELDS.map((field) => `${parent}.${field}`))];

export type LoggerOptions = Exclude<NonNullable<FastifyServerOptions['logger']>, boolean>;

/** Fastify logger options for a level and format; the pretty printer is loaded only when used. */
export async function loggerOptions(level: string, format: LogFormat): Promise<LoggerOptions> {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!pretty) return options;
  const { default: prettyStream } = await import('pino-pretty');
  return {
    ...options,
    stream: prettyStream({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }),
  };
}

/** An incoming X-Request-Id is kept when it is short and made of safe characters; otherwise a new id is made. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const REQUEST_ID_HEADER = 'x-request-id';

export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
}
