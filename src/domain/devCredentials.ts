import type { BootstrapCredentials } from './bootstrap.js';

// `pushlink serve --dev-credentials`: the bootstrap org with well-known credentials, like
// Azurite's account or LocalStack's test/test, for local development only. Anyone who reads the
// README knows them, so they are never the default and the server warns on every start with them.
// For CI with credentials of its own, use a seed file (`--seed`) instead.

export const DEV_CREDENTIALS: { atlas: BootstrapCredentials; source: BootstrapCredentials } = {
  atlas: {
    orgId: '000000000000000000000001',
    orgName: 'pushlink',
    apiKey: { publicKey: 'devatlas', privateKey: '00000000-0000-4000-8000-000000000001' },
    serviceAccount: { clientId: 'mdb_sa_id_000000000000000000000001', clientSecret: 'mdb_sa_sk_pushlink-development-only' },
  },
  source: {
    orgId: '000000000000000000000002',
    orgName: 'pushlink source',
    apiKey: { publicKey: 'devsrcor', privateKey: '00000000-0000-4000-8000-000000000002' },
  },
};
