import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { describeRun } from '../../src/activities/controller-steps.js';
import { isWorkflowNotFound } from '../../src/errors.js';

// Issue 16 item 5: one error model. Every error class lives in src/errors.ts, and code tells errors apart by
// class and fields, never by matching their message text.
const SRC = path.resolve('src');
const sources = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ rel: f.split(path.sep).join('/'), text: readFileSync(path.join(SRC, f), 'utf8') }));

/**
 * Third-party errors that carry no class or code to test: yaml's alias-count limit (a plain
 * ReferenceError, like its unresolved-alias error), grpc-js's connect timeout before a client exists,
 * and DuckDB's conversion errors (one Error class for every failure).
 */
const MESSAGE_TESTS_ALLOWED = [
  'config/load.ts:/alias count/i',
  'cli/commands/cluster.ts:/connect|ECONNREFUSED|ENOTFOUND|UNAVAILABLE/i',
  'data/drift/detect.ts:/Conversion Error|Could not convert/',
];

describe('one error model', () => {
  it('every error class is declared in src/errors.ts', () => {
    const elsewhere = sources.flatMap(({ rel, text }) =>
      rel === 'errors.ts' ? [] : [...text.matchAll(/class (\w+) extends (\w*Error)\b/g)].map((m) => `${rel}: ${m[1]} extends ${m[2]}`),
    );
    assert.deepEqual(elsewhere, []);
  });

  it('no error is classified by matching its message', () => {
    const found = sources.flatMap(({ rel, text }) =>
      [...text.matchAll(/(\/[^/\n]+\/[gimsuy]*)\.test\(\s*(?:\((?:err|e) as Error\)|err\b|e\b|message\b|msg\b|String\(err)|\.message\??\.includes\(/g)]
        .map((m) => `${rel}:${m[1] ?? m[0]}`)
        .filter((hit) => !MESSAGE_TESTS_ALLOWED.includes(hit)),
    );
    assert.deepEqual(found, []);
  });

  it('isWorkflowNotFound goes by the typed error and gRPC NOT_FOUND, not by the words "not found"', () => {
    assert.equal(isWorkflowNotFound(new WorkflowNotFoundError('gone', 'retrain/m/t', undefined)), true);
    const grpcNotFound = Object.assign(new Error('service error'), { name: 'ServiceError', cause: Object.assign(new Error('5 NOT_FOUND'), { code: 5 }) });
    assert.equal(isWorkflowNotFound(grpcNotFound), true);
    assert.equal(isWorkflowNotFound(new Error('column "x" not found in data/current.csv')), false);
    assert.equal(isWorkflowNotFound(Object.assign(new Error('unavailable'), { name: 'ServiceError', cause: { code: 14 } })), false);
  });

  it('the controller safety net does not read a failure that mentions "not found" as a closed run', async () => {
    const client = {
      workflow: {
        getHandle: () => ({
          describe: async () => {
            throw new Error('certificate for temporal.internal not found');
          },
        }),
      },
    } as unknown as Client;
    await assert.rejects(describeRun(client, { workflowId: 'retrain/m/t', temporalRunId: 'r' }), /certificate/);
  });
});
