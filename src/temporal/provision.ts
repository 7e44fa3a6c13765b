import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time.js';
import { ConfigError } from '../errors.js';
import type { TemporalTarget } from './connection.js';
import { ALL_SEARCH_ATTRIBUTES } from './search-attributes.js';

// The server's IndexedValueType numbers (temporal/api/enums/v1/common.proto). Kept here because
// @temporalio/proto is not a direct dependency; the values are part of the wire protocol.
const INDEXED_VALUE_TYPE: Record<string, number> = {
  [SearchAttributeType.TEXT]: 1,
  [SearchAttributeType.KEYWORD]: 2,
  [SearchAttributeType.INT]: 3,
  [SearchAttributeType.DOUBLE]: 4,
  [SearchAttributeType.BOOL]: 5,
  [SearchAttributeType.DATETIME]: 6,
  [SearchAttributeType.KEYWORD_LIST]: 7,
};

/** The command that registers the search attributes; error messages name it so operators can act. */
export const SETUP_COMMAND = 'retrain setup';

export interface SearchAttributeReport {
  namespace: string;
  created: string[];
  found: string[];
}

async function withConnection<T>(target: TemporalTarget, fn: (c: Connection) => Promise<T>): Promise<T> {
  const options: ConnectionOptions = { address: target.address };
  if (target.tls) options.tls = target.tls;
  if (target.apiKey) options.apiKey = target.apiKey;
  const connection = await Connection.connect(options);
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

/** What the checks need of a connection: a client Connection and the worker's NativeConnection both have it. */
export type OperatorApi = Pick<Connection, 'operatorService'>;

async function registered(connection: OperatorApi, namespace: string): Promise<Map<string, number>> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  return new Map(Object.entries(res.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
}

/** Names whose registered type differs from the one the workflows upsert: setup cannot fix these by adding. */
function conflicts(have: Map<string, number>): string[] {
  return ALL_SEARCH_ATTRIBUTES.filter((k) => have.has(k.name) && have.get(k.name) !== INDEXED_VALUE_TYPE[k.type]).map(
    (k) => `${k.name} is registered with type #${have.get(k.name)}, the workflows need ${k.type}`,
  );
}

/**
 * `retrain setup`: registers the project's search attributes on the target namespace through the
 * operator service. Idempotent: attributes already there are reported as found, never re-created.
 */
export async function ensureSearchAttributes(target: TemporalTarget): Promise<SearchAttributeReport> {
  return withConnection(target, async (connection) => {
    const namespace = target.namespace;
    const have = await registered(connection, namespace);
    const wrong = conflicts(have);
    if (wrong.length) throw new ConfigError(`namespace ${namespace}: ${wrong.join('; ')}`, { namespace });
    const missing = ALL_SEARCH_ATTRIBUTES.filter((k) => !have.has(k.name));
    if (missing.length) {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED_VALUE_TYPE[k.type]!])),
      });
      // The frontend answers from its namespace cache; wait until it lists what was added, so a
      // worker or a workflow started right after `retrain setup` sees them.
      const deadline = Date.now() + 30_000;
      while (missingFrom(await registered(connection, namespace)).length) {
        if (Date.now() > deadline) throw new Error(`namespace ${namespace}: search attributes added but not listed after 30s`);
        await sleep(250);
      }
    }
    return {
      namespace,
      created: missing.map((k) => k.name),
      found: ALL_SEARCH_ATTRIBUTES.filter((k) => have.has(k.name)).map((k) => k.name),
    };
  });
}

const missingFrom = (have: Map<string, number>) => ALL_SEARCH_ATTRIBUTES.filter((k) => !have.has(k.name)).map((k) => k.name);

/**
 * Worker start-up check: a namespace without the search attributes would fail every workflow task
 * that upserts them, much later and far from the cause. Fail now, naming the command that fixes it.
 */
export async function assertSearchAttributes(target: TemporalTarget, open?: OperatorApi): Promise<void> {
  // The worker's own connection when given: no second channel on every worker start.
  const have = open ? await registered(open, target.namespace) : await withConnection(target, (c) => registered(c, target.namespace));
  const missing = missingFrom(have);
  const wrong = conflicts(have);
  if (!missing.length && !wrong.length) return;
  const what = [missing.length ? `missing search attributes ${missing.join(', ')}` : '', ...wrong].filter(Boolean).join('; ');
  const env = `TEMPORAL_ADDRESS=${target.address} TEMPORAL_NAMESPACE=${target.namespace}`;
  throw new ConfigError(`namespace ${target.namespace} on ${target.address}: ${what}. Run \`${env} ${SETUP_COMMAND}\` (or \`npx ${SETUP_COMMAND}\`) once for this namespace, then start the worker again.`, {
    namespace: target.namespace,
    missing,
  });
}

/** Registers a namespace unless it exists, and waits until the frontend serves it. */
export async function ensureNamespace(target: TemporalTarget, retentionDays = 3): Promise<'created' | 'found'> {
  return withConnection(target, async (connection) => {
    const namespace = target.namespace;
    const exists = async () => {
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return true;
      } catch (err) {
        if ((err as { code?: number }).code === 5) return false; // gRPC NOT_FOUND
        throw err;
      }
    };
    if (await exists()) return 'found';
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) });
    } catch (err) {
      if ((err as { code?: number }).code !== 6) throw err; // ALREADY_EXISTS: another process won the race
    }
    // describeNamespace reads the database; the other APIs answer from each service's namespace
    // cache, refreshed every few seconds. Wait until a cached read succeeds, so callers can go on.
    const served = async () => {
      try {
        await connection.operatorService.listSearchAttributes({ namespace });
        return true;
      } catch (err) {
        if ((err as { code?: number }).code === 5) return false;
        throw err;
      }
    };
    const deadline = Date.now() + 30_000;
    while (!(await served())) {
      if (Date.now() > deadline) throw new Error(`namespace ${namespace} registered but not served after 30s`);
      await sleep(250);
    }
    return 'created';
  });
}
