import { linkKeyStatus, showLinkToken, type LinkKeyStatus } from '../domain/linkTokenInspection.js';
import { openExistingStore, type StoreLocation } from '../store/open.js';
import type { Output } from './admin.js';
import { RETIRED_LINK_KEY_RETENTION_DAYS } from '../store/links.js';

// `pushlink token inspect <token|->`: what a link-token holds (private key masked) and, given the
// server's store, whether the key it carries is the org's current link key, superseded or deleted
// (for RETIRED_LINK_KEY_RETENTION_DAYS after it stopped working; later it is unknown, and says so).

/** Inspecting never creates a database: the store must already be there. */
async function statusIn(location: StoreLocation, contents: Parameters<typeof linkKeyStatus>[1]): Promise<LinkKeyStatus> {
  const store = await openExistingStore(location);
  try {
    return await linkKeyStatus(store, contents);
  } finally {
    await store.close();
  }
}

function describeStatus(status: LinkKeyStatus): string {
  switch (status.state) {
    case 'current':
      return "current: the organization's link key; the token works";
    case 'superseded':
      return `superseded: a newer link-token replaced it at ${status.retiredAt}; its key no longer works`;
    case 'deleted':
      return `deleted: the link or its key was deleted at ${status.retiredAt}; its key no longer works`;
    case 'key-mismatch':
      return "key-mismatch: the organization's link key has this public key but another private key (an altered token?)";
    case 'unknown':
      return (
        "unknown: not this organization's current link key, and no record of it is kept: never issued here " +
        `(a token from another server?) or retired more than ${RETIRED_LINK_KEY_RETENTION_DAYS} days ago ` +
        `(retired link keys are kept ${RETIRED_LINK_KEY_RETENTION_DAYS} days)`
      );
  }
}

export async function tokenInspect(token: string, options: { store?: StoreLocation }, output: Output): Promise<void> {
  const { contents, shown } = showLinkToken(token);
  const status = options.store && (await statusIn(options.store, contents));
  if (output.json) {
    process.stdout.write(JSON.stringify({ ...shown, status: status ?? null }, null, 2) + '\n');
    return;
  }
  const lines = [
    `orgId          ${shown.orgId}`,
    `orgName        ${shown.orgName}`,
    `publicApiKey   ${shown.publicApiKey}`,
    `privateApiKey  ${shown.privateApiKey}`,
    `status         ${status ? describeStatus(status) : 'not checked (give --data-dir to check it against a server\'s data)'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
