import crypto from 'node:crypto';

// Identifier formats Atlas uses, so ids from pushlink pass the same patterns clients validate.

/** A 24-hex ObjectId: 4 bytes of seconds since the epoch, then 8 random bytes. */
export function newObjectId(now: Date = new Date()): string {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(now.getTime() / 1000), 0);
  crypto.randomFillSync(bytes, 4, 8);
  return bytes.toString('hex');
}

export const OBJECT_ID_PATTERN = /^[a-f0-9]{24}$/;

const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';

/** Org API key public part: 8 lowercase letters (Atlas `ApiKeyUserDetails.publicKey`). */
export function newPublicApiKey(): string {
  let key = '';
  for (let i = 0; i < 8; i++) key += LOWERCASE[crypto.randomInt(LOWERCASE.length)];
  return key;
}

/** Org API key private part: a random UUID. */
export function newPrivateApiKey(): string {
  return crypto.randomUUID();
}

/** Service account client id, in Atlas's `mdb_sa_id_<24 hex>` shape. */
export function newClientId(): string {
  return `mdb_sa_id_${newObjectId()}`;
}

/** Service account client secret: `mdb_sa_sk_` and 256 random bits. */
export function newClientSecret(): string {
  return `mdb_sa_sk_${crypto.randomBytes(32).toString('base64url')}`;
}
