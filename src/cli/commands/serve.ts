import type { Command } from 'commander';
import { resolveServeConfig, type ServeOptions } from '../../config.js';
import { serve } from '../serve.js';

// `pushlink serve`: every option is a string here; config.ts resolves them (with the environment
// and the defaults) into one ServerConfig, so the rules for a setting live in one place.

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the server (default 127.0.0.1:8080, data in ./data)')
    .option('--role <role>', 'atlas (default), source (Cloud Manager / Ops Manager side) or both (env PUSHLINK_ROLE)')
    .option('--atlas-url <url>', 'source side: the Atlas side to sync with (env PUSHLINK_ATLAS_URL; with --role both, this process)')
    .option('--atlas-ca <file>', 'source side: trust this CA (PEM) for an https --atlas-url (env PUSHLINK_ATLAS_CA)')
    .option('--sync-interval <seconds>', 'source side: re-push every linked inventory this often (default 10)')
    .option('--sync-timeout <seconds>', 'source side: upper bound of one call to Atlas (default 5)')
    .option('--host <host>', 'address to listen on (env PUSHLINK_HOST; default 127.0.0.1)')
    .option('--port <port>', 'port, 0 for any free one (env PUSHLINK_PORT; default 8080, 8081 for --role source)')
    .option('--public-url <url>', 'where clients reach this server, e.g. behind a proxy; links in answers start with it (env PUSHLINK_PUBLIC_URL; default: from the Host header)')
    .option('--tls <self-signed>', 'serve HTTPS with a local CA kept in <data-dir>/tls (env PUSHLINK_TLS)')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain) (env PUSHLINK_TLS_CERT)')
    .option('--tls-key <file>', 'private key of --tls-cert, PEM (env PUSHLINK_TLS_KEY)')
    .option('--metrics-port <port>', 'serve /metrics on this port only, plain HTTP (env PUSHLINK_METRICS_PORT; default: on the API port)')
    .option('--data-dir <dir>', 'data directory (env PUSHLINK_DATA_DIR; default ./data, ./data-source for --role source)')
    .option('--database-url <url>', 'PostgreSQL URL (env PUSHLINK_DATABASE_URL); default: SQLite in the data dir')
    .option('--rate-limit <on|off>', 'Atlas rate limiting (env PUSHLINK_RATE_LIMIT; default on)')
    .option('--rate-limit-capacity <n>', 'bucket capacity per org (default 500)')
    .option('--rate-limit-refill <n>', 'tokens added each period (default 250)')
    .option('--rate-limit-period <seconds>', 'refill period (default 60)')
    .option('--nonce-ttl <seconds>', 'digest nonce lifetime (default 300)')
    .option('--cluster-provisioning <seconds>', 'how long a new cluster stays CREATING before IDLE (default 5)')
    .option('--cluster-deletion <seconds>', 'how long a deleted cluster stays DELETING before it is gone (default 3)')
    .option('--validation-duration <seconds>', 'how long a live-migration validation stays PENDING (default 2)')
    .option('--cutover-window <seconds>', 'how long a migration stays ready for cutover before EXPIRED (default 432000 = 120 h)')
    .option('--migration-poll <seconds>', "source side: how often the migration host asks Atlas for its jobs (default 1)")
    .option('--migration-sync <seconds>', 'source side: how long a migration takes to be ready for cutover (default 15)')
    .option('--migration-cutover <seconds>', 'source side: how long a migration takes from cutover to COMPLETE (default 5)')
    .option('--token-ttl <seconds>', 'OAuth access token lifetime (default 3600)')
    .option('--clock <wall|controllable>', 'controllable: pushlink clock advance moves every timer on (env PUSHLINK_CLOCK; default wall)')
    .option('--clock-rate <n>', 'run a controllable clock n times as fast as the wall clock (env PUSHLINK_CLOCK_RATE)')
    .option('--faults <file>', 'fault rules to start with, YAML or JSON (env PUSHLINK_FAULTS; see the README)')
    .option('--event-retention <days>', 'how long the events API keeps events (env PUSHLINK_EVENT_RETENTION; default 90)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env PUSHLINK_LOG_LEVEL; default info)')
    .option('--log-format <format>', 'auto|json|pretty; auto is pretty on a terminal, JSON otherwise (env PUSHLINK_LOG_FORMAT)')
    .option('--seed <file>', 'create the orgs, API keys and service accounts of this YAML/JSON file on start, with its ids and secrets, instead of a random bootstrap (env PUSHLINK_SEED; README, Fixed credentials for CI)')
    .option('--dev-credentials', 'bootstrap with the well-known development credentials of the README: for development only, never the default (env PUSHLINK_DEV_CREDENTIALS=true)')
    .addHelpText(
      'after',
      '\nEvery option can come from the environment instead: PUSHLINK_ and the option name in capitals with _ for -\n' +
        '(--sync-interval 5 is PUSHLINK_SYNC_INTERVAL=5); the option wins when both are given.',
    )
    .action(async (options: ServeOptions) => {
      await serve(resolveServeConfig(options));
    });
}
