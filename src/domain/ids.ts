import crypto from 'node:crypto';

// Identifier formats Atlas uses, so ids from pushlink pass the same patterns clients validate.

// Random bytes are drawn from a pool refilled 4 KiB at a time: one getrandom() call per 512 ids
// instead of one per id (it showed up in the create-link-token profile).
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function copyRandomBytes(target: Buffer, offset: number, length: number): void {
  if (poolOffset + length > POOL_SIZE) {
    crypto.randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(target, offset, poolOffset, poolOffset + length);
  poolOffset += length;
}

/** A 24-hex ObjectId: 4 bytes of seconds since the epoch, then 8 random bytes. */
export function newObjectId(now: Date = new Date()): string {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(now.getTime() / 1000), 0);
  copyRandomBytes(bytes, 4, 8);
  return bytes.toString('hex');
}

export const OBJECT_ID_PATTERN = /^[a-f0-9]{24}$/;

const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';

const letterBytes = Buffer.alloc(16);

/** Org API key public part: 8 lowercase letters (Atlas `ApiKeyUserDetails.publicKey`), uniform. */
export function newPublicApiKey(): string {
  let key = '';
  while (key.length < 8) {
    copyRandomBytes(letterBytes, 0, letterBytes.length);
    for (let i = 0; i < letterBytes.length && key.length < 8; i++) {
      // 234 = 9 × 26: bytes at or above it are dropped so every letter is equally likely.
      if (letterBytes[i]! < 234) key += LOWERCASE[letterBytes[i]! % 26];
    }
  }
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
