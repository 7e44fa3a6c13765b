import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { DevServer } from './dev-server.js';
import { embeddedServer, runningEmbedded } from './embedded-server.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  uiUrl: string | undefined;
  tls: ConnectionOptions['tls'];
  apiKey: string | undefined;
  /** Set when this process started the embedded dev server and must stop it. */
  owned: DevServer | undefined;
}

/** TLS and API key from the environment, so Temporal Cloud and self-hosted clusters work unchanged. */
function remoteTarget(env: NodeJS.ProcessEnv): TemporalTarget {
  const read = (p: string | undefined) => (p ? readFileSync(p) : undefined);
  const crt = read(env.TEMPORAL_TLS_CLIENT_CERT_PATH);
  const key = read(env.TEMPORAL_TLS_CLIENT_KEY_PATH);
  const ca = read(env.TEMPORAL_TLS_SERVER_CA_CERT_PATH);
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const wantTls = env.TEMPORAL_TLS === 'true' || Boolean(crt || apiKey);
  return {
    address: env.TEMPORAL_ADDRESS!,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    uiUrl: env.TEMPORAL_UI_URL || undefined,
    tls: wantTls ? { ...(crt && key ? { clientCertPair: { crt, key } } : {}), ...(ca ? { serverRootCACertificate: ca } : {}) } : undefined,
    apiKey,
    owned: undefined,
  };
}

export interface ResolveOptions {
  stateDir: string;
  /** Start the embedded dev server when nothing else is configured or running. */
  start: boolean;
  progress?: (line: string) => void;
}

/**
 * One way to reach Temporal for `npm start`, the CLI and the tests: TEMPORAL_ADDRESS when set,
 * otherwise the embedded dev server (reused when running, started when asked to).
 */
export async function resolveTemporal(opts: ResolveOptions, env = process.env): Promise<TemporalTarget> {
  if (env.TEMPORAL_ADDRESS) return remoteTarget(env);
  if (!opts.start) {
    const running = await runningEmbedded(opts.stateDir);
    if (running) return { address: running.address, namespace: 'default', uiUrl: running.uiUrl, tls: undefined, apiKey: undefined, owned: undefined };
    throw new Error('no Temporal server: run `npm start` (or `retrain dev`) first, or set TEMPORAL_ADDRESS');
  }
  // One server per state folder, under a lock (src/temporal/embedded-server.ts).
  const { record, owned } = await embeddedServer(opts.stateDir, opts.progress);
  return { address: record.address, namespace: owned?.namespace ?? 'default', uiUrl: record.uiUrl, tls: undefined, apiKey: undefined, owned };
}

export async function connectClient(target: TemporalTarget): Promise<Client> {
  const options: ConnectionOptions = { address: target.address };
  if (target.tls) options.tls = target.tls;
  if (target.apiKey) options.apiKey = target.apiKey;
  const connection = await Connection.connect(options);
  return new Client({ connection, namespace: target.namespace });
}

export async function connectNative(target: TemporalTarget): Promise<NativeConnection> {
  const options: NativeConnectionOptions = { address: target.address };
  if (target.tls) options.tls = target.tls;
  if (target.apiKey) options.apiKey = target.apiKey;
  return NativeConnection.connect(options);
}

export function workflowUrl(target: TemporalTarget, workflowId: string, temporalRunId?: string): string | undefined {
  if (!target.uiUrl) return undefined;
  const id = encodeURIComponent(workflowId);
  return `${target.uiUrl}/namespaces/${target.namespace}/workflows/${id}${temporalRunId ? `/${temporalRunId}` : ''}/history`;
}

/** The Web UI's workflow list filtered by a visibility query, e.g. the rejected runs of one model. */
export function workflowListUrl(target: TemporalTarget, query: string): string | undefined {
  if (!target.uiUrl) return undefined;
  return `${target.uiUrl}/namespaces/${target.namespace}/workflows?query=${encodeURIComponent(query)}`;
}

/** A visibility query for a model's pipeline runs, optionally with one outcome (search attributes RetrainModel, RetrainOutcome). */
export function pipelineRunsQuery(model?: string, outcome?: string): string {
  const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
  return ['WorkflowType = "retrainPipeline"', ...(model ? [`RetrainModel = ${quote(model)}`] : []), ...(outcome ? [`RetrainOutcome = ${quote(outcome)}`] : [])].join(' AND ');
}

/** Where the Web UI is, when it can be known without starting anything (TEMPORAL_UI_URL, or a running `retrain dev`). */
export async function knownUiTarget(stateDir: string, env = process.env): Promise<TemporalTarget | undefined> {
  try {
    const target = await resolveTemporal({ start: false, stateDir }, env);
    return target.uiUrl ? target : undefined;
  } catch {
    return undefined;
  }
}
