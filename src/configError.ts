// A setting that cannot work (a bad option value, a port already taken, an unreadable certificate).
// Its own module because config.ts, tls/ and cli/ all raise it, and config.ts imports tls/: kept in
// config.ts, it made tls/ and config.ts import each other.

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
