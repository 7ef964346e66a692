import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import type { LogFormat } from '../config.js';

// Logging: pino through Fastify, one JSON object a line (readable lines on a terminal). Secrets
// never reach a log: request and response bodies are never logged, and in case a header or a
// decoded token is ever passed to a log call, these paths are censored at every level.

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'body',
  'req.body',
  '*.linkToken',
  'linkToken',
  '*.privateApiKey',
  'privateApiKey',
  '*.privateKey',
  'privateKey',
  '*.clientSecret',
  'clientSecret',
  '*.client_secret',
  '*.access_token',
  '*.accessToken',
  '*.password',
];

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
