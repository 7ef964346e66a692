// The seed file of README's Fixed credentials section, as the tests use it.

export const SEED_YAML = `
orgs:
  - id: 5f0000000000000000000001        # 24 hex
    name: Acme
    apiKeys:
      - publicKey: abcdwxyz
        privateKey: 00000000-1111-4222-8333-444444444444
        roles: [ORG_OWNER]
        accessList: [127.0.0.1, "::1"]
    serviceAccounts:
      - clientId: mdb_sa_id_0123456789abcdef01234567
        clientSecret: mdb_sa_sk_anything-the-file-says
        roles: [ORG_OWNER]
`;
