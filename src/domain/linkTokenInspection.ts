import type { Store } from '../store/store.js';
import { decodeLinkToken, type LinkTokenContents } from './links.js';
import { digestHa1 } from '../httpDigest.js';
import { constantTimeEqual, maskPrivateKey, privateKeyHint } from './secrets.js';

// What a link-token holds and whether it still works, for people holding one: decoded offline,
// the private key masked, and, against a store, the state of the key it carries.

/** The token's fields as they may be shown: the private key masked like Atlas masks keys. */
export type ShownLinkToken = LinkTokenContents;

/**
 * current: the org's link key, and the token's private key is that key's.
 * superseded: a newer link-token replaced it. deleted: the link (or the key) was deleted.
 * key-mismatch: the org's link key has this public key but another private key (an altered token).
 * unknown: not the org's current link key, and the store keeps no record of it: it never held it,
 * or retired it more than RETIRED_LINK_KEY_RETENTION_DAYS ago (the two cannot be told apart).
 */
export type LinkKeyState = 'current' | 'superseded' | 'deleted' | 'key-mismatch' | 'unknown';

export interface LinkKeyStatus {
  state: LinkKeyState;
  /** When the key stopped working (superseded and deleted only). */
  retiredAt?: string;
}

/** Decodes a link-token (throwing INVALID_LINK_TOKEN with the reason) and masks its private key. */
export function showLinkToken(token: string): { contents: LinkTokenContents; shown: ShownLinkToken } {
  const contents = decodeLinkToken(token);
  return { contents, shown: { ...contents, privateApiKey: maskPrivateKey(privateKeyHint(contents.privateApiKey)) } };
}

export async function linkKeyStatus(store: Store, contents: LinkTokenContents): Promise<LinkKeyStatus> {
  const key = await store.orgs.findApiKeyByPublicKey(contents.publicApiKey);
  if (key) {
    // A link key lives exactly as long as its link, so a live one is the org's current key.
    if (key.orgId !== contents.orgId || key.purpose !== 'LIVE_MIGRATION_LINK') return { state: 'unknown' };
    const ha1 = digestHa1(contents.publicApiKey, contents.privateApiKey);
    return { state: constantTimeEqual(ha1, key.ha1) ? 'current' : 'key-mismatch' };
  }
  const retired = await store.links.findRetiredLinkKey(contents.orgId, contents.publicApiKey);
  if (!retired) return { state: 'unknown' };
  return { state: retired.reason === 'ROTATED' ? 'superseded' : 'deleted', retiredAt: retired.retiredAt };
}
