import type { Store } from '../store/store.js';
import { mintApiKey, withFreshKeyOnCollision } from './apiKeys.js';
import { ifWritten, LOCAL_ADMIN, newEvent, type Actor } from './events.js';
import { DomainError } from './errors.js';
import { OBJECT_ID_PATTERN } from './ids.js';

// The org's live-migration link: one per org, made of a link record and the org API key that the
// link-token carries to the source side (Cloud Manager / Ops Manager).

/** What a real Atlas link-token decodes to: exactly these keys, in this order. */
export interface LinkTokenContents {
  orgId: string;
  orgName: string;
  privateApiKey: string;
  publicApiKey: string;
}

export const LINK_KEY_ROLE = 'ORG_READ_ONLY' as const;
export const LINK_KEY_DESCRIPTION = 'Live migration link key (created with the org link-token)';

/** Standard base64 (with padding) of compact JSON, as Atlas encodes it: not signed, not encrypted. */
export function encodeLinkToken(contents: LinkTokenContents): string {
  const ordered: LinkTokenContents = {
    orgId: contents.orgId,
    orgName: contents.orgName,
    privateApiKey: contents.privateApiKey,
    publicApiKey: contents.publicApiKey,
  };
  return Buffer.from(JSON.stringify(ordered), 'utf8').toString('base64');
}

const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PUBLIC_KEY_PATTERN = /^[a-z]{8}$/;
const TOKEN_KEYS = ['orgId', 'orgName', 'privateApiKey', 'publicApiKey'] as const;
export const MAX_LINK_TOKEN_LENGTH = 4096;

/** Decodes and checks a link-token; every way it can be wrong gets its own clear message. */
export function decodeLinkToken(token: unknown): LinkTokenContents {
  const invalid = (why: string): never => {
    throw new DomainError('INVALID_LINK_TOKEN', `invalid link-token: ${why}`);
  };
  if (typeof token !== 'string' || token.length === 0) return invalid('it must be a non-empty string');
  const text = token.trim();
  if (text.length > MAX_LINK_TOKEN_LENGTH) return invalid(`it is longer than ${MAX_LINK_TOKEN_LENGTH} characters`);
  if (!BASE64_PATTERN.test(text)) return invalid('it is not standard base64');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    return invalid('it does not decode to JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid('it does not decode to a JSON object');
  const record = parsed as Record<string, unknown>;
  for (const key of TOKEN_KEYS) {
    if (typeof record[key] !== 'string' || (record[key] as string).length === 0) return invalid(`field ${key} is missing or not a string`);
  }
  const extra = Object.keys(record).filter((key) => !(TOKEN_KEYS as readonly string[]).includes(key));
  if (extra.length > 0) return invalid(`unexpected field ${extra[0]}`);
  const contents = record as unknown as LinkTokenContents;
  if (!OBJECT_ID_PATTERN.test(contents.orgId)) return invalid('orgId is not a 24-hex organization id');
  if (!PUBLIC_KEY_PATTERN.test(contents.publicApiKey)) return invalid('publicApiKey is not 8 lowercase letters');
  if (!UUID_PATTERN.test(contents.privateApiKey)) return invalid('privateApiKey is not a UUID');
  return {
    orgId: contents.orgId,
    orgName: contents.orgName,
    privateApiKey: contents.privateApiKey,
    publicApiKey: contents.publicApiKey,
  };
}

/**
 * Creates the org's link: a new link key whose access list is `accessListIps` (empty = any
 * address, as for Cloud Manager sources) and the token carrying it. An existing link is replaced
 * in the same transaction, so its key stops working the moment the new token exists.
 */
export async function issueLinkToken(
  store: Store,
  orgId: string,
  accessListIps: readonly string[],
  now: Date = new Date(),
  by: Actor = LOCAL_ADMIN,
): Promise<{ linkToken: string; publicKey: string; replacedPublicKey?: string }> {
  return withFreshKeyOnCollision(async () => {
    const key = mintApiKey({
      orgId,
      roles: [LINK_KEY_ROLE],
      accessList: [...accessListIps],
      description: LINK_KEY_DESCRIPTION,
      purpose: 'LIVE_MIGRATION_LINK',
      now,
    });
    // Created or rotated: only the replacement knows which, so the events are computed from it.
    const replaced = await store.links.replaceLink(key.record, (result) => ({
      events: !result
        ? []
        : [
            newEvent(
              result.replacedPublicKey === undefined ? 'LIVE_MIGRATION_LINK_CREATED' : 'LIVE_MIGRATION_LINK_ROTATED',
              { orgId },
              by,
              now,
              { targetPublicKey: key.record.publicKey, ...(result.replacedPublicKey === undefined ? {} : { replacedPublicKey: result.replacedPublicKey }) },
            ),
          ],
    }));
    if (!replaced) throw new DomainError('ORG_NOT_FOUND', `no organization with ID ${orgId}`, [orgId]);
    const { org, replacedPublicKey } = replaced;
    const linkToken = encodeLinkToken({
      orgId: org.id,
      orgName: org.name,
      privateApiKey: key.privateKey,
      publicApiKey: key.record.publicKey,
    });
    return replacedPublicKey === undefined
      ? { linkToken, publicKey: key.record.publicKey }
      : { linkToken, publicKey: key.record.publicKey, replacedPublicKey };
  });
}

/** Removes the org's link and its key. */
export async function revokeLink(store: Store, orgId: string, by: Actor = LOCAL_ADMIN, now = new Date()): Promise<void> {
  if (!(await store.links.deleteLink(orgId, ifWritten(newEvent('LIVE_MIGRATION_LINK_DELETED', { orgId }, by, now))))) {
    throw new DomainError('LINK_NOT_FOUND', 'Could not find the requested external organization link.');
  }
}
