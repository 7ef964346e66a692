// The layering of docs/architecture.md as import rules, checked by `npm run lint` (so by `npm test`).
// Type-only imports count too (tsPreCompilationDeps): a type is as much a dependency for a reader.

/** Store back ends and their machinery: only the store itself (and the composition roots) may use them. */
const STORE_BACK_ENDS = '^src/store/(sqlite|postgres|migrations/|groupCommit\\.ts|open\\.ts|orgWriteBatcher\\.ts|turnCache\\.ts)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle hides which module is the lower one; split the shared part into a module both import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-imports-no-layer-above',
      severity: 'error',
      comment: 'The domain is the rules without HTTP: it may use store ports (store/*.ts) but no back end, and nothing above it.',
      from: { path: '^src/domain/' },
      to: { path: ['^src/(http|auth|routes|cli|sync|observability|tls)/', '^src/(app|config)\\.ts$', STORE_BACK_ENDS] },
    },
    {
      name: 'store-imports-no-layer-above',
      severity: 'error',
      comment: 'The store is the bottom layer: records, ports and back ends, nothing of the layers that use it.',
      from: { path: '^src/store/' },
      to: { path: ['^src/(domain|http|auth|routes|cli|sync|observability|tls)/', '^src/(app|config)\\.ts$'] },
    },
    {
      name: 'http-and-routes-import-no-cli',
      severity: 'error',
      comment: 'The server does not depend on the command line; the CLI composes the server, not the reverse.',
      from: { path: '^src/(http|routes|auth|domain|sync|observability|tls)/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'routes-use-store-ports-only',
      severity: 'error',
      comment: 'Routes reach persistence through the ports the app was built with, never a back end directly.',
      from: { path: '^src/(routes|http|auth)/' },
      to: { path: STORE_BACK_ENDS },
    },
    {
      name: 'leaf-modules-stay-leaves',
      severity: 'error',
      comment: 'Modules any layer may import (the digest protocol, ConfigError, file and cache helpers) import nothing of pushlink.',
      from: { path: '^src/(httpDigest|configError|files|boundedCache)\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'src-imports-no-tests',
      severity: 'error',
      comment: 'Production code never depends on test helpers or benchmarks.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
