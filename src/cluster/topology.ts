/**
 * The production-shaped Temporal topology, in one place: the native `retrain cluster up` runs it and
 * docker-compose.yml mirrors it; test/unit/compose-file.test.ts checks that the two agree.
 * Both run the same binaries (the server image is built from the same release) configured the same
 * way: the server's embedded config template, driven by environment variables only.
 */
import path from 'node:path';

/** Pinned. v1.32.0 builds with Go 1.26; v1.32.2 needs a Go 1.27 toolchain. Bump together with docker-compose.yml. */
export const TEMPORAL_SERVER_VERSION = '1.32.0';
export const TEMPORAL_UI_VERSION = '2.54.1';
/** Debian bookworm's PostgreSQL; the compose file runs the same major version. */
export const POSTGRES_MAJOR = '15';

export const IMAGES = {
  postgresql: `postgres:${POSTGRES_MAJOR}`,
  temporal: `temporalio/server:${TEMPORAL_SERVER_VERSION}`,
  adminTools: `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`,
  ui: `temporalio/ui:${TEMPORAL_UI_VERSION}`,
} as const;

/** The database login the server and the schema tool use (a local, loopback-only cluster). */
export const DB = { user: 'temporal', password: 'temporal', plugin: 'postgres12', main: 'temporal', visibility: 'temporal_visibility' } as const;

/** Dynamic config shared by both topologies (mounted into the container by docker-compose.yml). */
export const DYNAMIC_CONFIG_FILE = path.join(import.meta.dirname, 'dynamicconfig.yaml');
export const DYNAMIC_CONFIG_IN_IMAGE = '/etc/temporal/config/dynamicconfig/retrain.yaml';

/** Server env that does not depend on where it runs: the same in docker-compose.yml. */
export const SERVER_ENV = {
  DB: DB.plugin,
  DBNAME: DB.main,
  VISIBILITY_DBNAME: DB.visibility,
  POSTGRES_USER: DB.user,
  POSTGRES_PWD: DB.password,
  NUM_HISTORY_SHARDS: '4',
  LOG_LEVEL: 'warn',
  // All four services in one process; `temporal-server start` reads the list from this variable.
  TEMPORAL_SERVICES: 'frontend,history,matching,worker',
  // No authorizer: said out loud (the server warns otherwise). Put auth in front before exposing it.
  TEMPORAL_ALLOW_NO_AUTH: 'true',
} as const;

export interface ServerPorts {
  frontendGrpc: number;
  frontendHttp: number;
  frontendMembership: number;
  historyGrpc: number;
  historyMembership: number;
  matchingGrpc: number;
  matchingMembership: number;
  workerGrpc: number;
  workerMembership: number;
}

/** Everything the embedded config template reads, for a server on `host` with postgres on `dbHost:dbPort`. */
export function serverEnv(opts: { host: string; dbHost: string; dbPort: number; ports: ServerPorts; dynamicConfigFile: string }): Record<string, string> {
  const p = opts.ports;
  return {
    ...SERVER_ENV,
    POSTGRES_SEEDS: opts.dbHost,
    DB_PORT: String(opts.dbPort),
    BIND_ON_IP: opts.host,
    TEMPORAL_BROADCAST_ADDRESS: opts.host,
    FRONTEND_GRPC_PORT: String(p.frontendGrpc),
    FRONTEND_HTTP_PORT: String(p.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(p.frontendMembership),
    HISTORY_GRPC_PORT: String(p.historyGrpc),
    HISTORY_MEMBERSHIP_PORT: String(p.historyMembership),
    MATCHING_GRPC_PORT: String(p.matchingGrpc),
    MATCHING_MEMBERSHIP_PORT: String(p.matchingMembership),
    WORKER_GRPC_PORT: String(p.workerGrpc),
    WORKER_MEMBERSHIP_PORT: String(p.workerMembership),
    DYNAMIC_CONFIG_FILE_PATH: opts.dynamicConfigFile,
  };
}

/** The image's entrypoint runs exactly this; the services come from TEMPORAL_SERVICES. */
export const SERVER_ARGS = ['start'] as const;

/** UI server env (the temporalio/ui image reads the same variables through its config/docker.yaml). */
export function uiEnv(opts: { temporalAddress: string; port: number; namespace: string; publicUrl: string }): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_UI_PORT: String(opts.port),
    TEMPORAL_DEFAULT_NAMESPACE: opts.namespace,
    TEMPORAL_CORS_ORIGINS: opts.publicUrl,
    TEMPORAL_DISABLE_NEWS_FETCH: 'true',
  };
}

/**
 * Schema setup with temporal-sql-tool, for both databases: the same steps the compose file's
 * temporal-setup service runs. The schemas are the ones embedded in the tool (the module's schema/postgresql/v12).
 */
export function schemaSteps(conn: { host: string; port: number }): string[][] {
  const base = ['--plugin', DB.plugin, '--endpoint', conn.host, '--port', String(conn.port), '--user', DB.user, '--password', DB.password];
  return [DB.main, DB.visibility].flatMap((db) => {
    const schema = `postgresql/v12/${db === DB.main ? 'temporal' : 'visibility'}`;
    return [
      [...base, '--database', db, 'create-database'],
      [...base, '--database', db, 'setup-schema', '-v', '0.0'],
      [...base, '--database', db, 'update-schema', '--schema-name', schema],
    ];
  });
}
