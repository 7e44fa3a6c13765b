import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runStepCommand } from '../../src/activities/command-step.js';
import type { RunRecord } from '../../src/audit/audit-log.js';
import { explainRecord } from '../../src/cli/commands/audit.js';
import { FAILURE_LINES, formatResult } from '../../src/cli/format-result.js';
import { FailureType } from '../../src/errors.js';
import type { PipelineResult } from '../../src/workflows/types.js';
import { fixtureCommand } from '../helpers/project.js';

/** A failed result as the pipeline builds it: the reason is the message's first line. */
function failed(step: 'train' | 'validate', type: string, message: string): PipelineResult {
  return {
    model: 'churn',
    outcome: 'failed',
    step,
    error: { type, message },
    reason: `failed at ${step}: ${type}: ${message.split('\n')[0]}`,
    triggers: ['manual'],
    dataFingerprint: null,
    decision: null,
  };
}

async function trainingFailure(): Promise<{ message: string; logFile: string }> {
  const runDir = mkdtempSync(path.join(tmpdir(), 'retrain-fmt-'));
  const err = await runStepCommand(FailureType.TrainingCommand, { command: fixtureCommand('traceback.mjs'), workdir: runDir, env: {} }, {}, runDir, 'train').then(
    () => assert.fail('the command should fail'),
    (e: Error) => e,
  );
  return { message: err.message, logFile: path.join(runDir, 'train.log') };
}

const VALIDATION = [
  'data/current.csv: 2 validation error(s)',
  '  tenure_months: range: expected >= 0, observed min -5',
  '  churned: maxNullRatio: expected <= 0, observed 0.12',
].join('\n');

describe('failures for people (run, trigger --wait, explain)', () => {
  it('formatResult shows the stderr tail, whole lines, and the log path of a failed command', async () => {
    const { message, logFile } = await trainingFailure();
    const text = formatResult(failed('train', 'TrainingCommandError', message));
    assert.match(text, /^FAILED: failed at train: TrainingCommandError: train command .* exited with code 3$/m);
    assert.ok(text.includes(`log: ${logFile}`), text);
    assert.match(text, /^ {4,}Traceback \(most recent call last\):$/m);
    assert.match(text, /^ {4,}File "train\.py", line 42, in <module>$/m);
    assert.match(text, /^ {4,}~~~~~~~~~\^\^\^\^\^\^$/m);
    assert.match(text, /ValueError: Input contains NaN \(column "tenure_months"\)$/m);
  });

  it('formatResult and explain list which validation rules failed', () => {
    const result = failed('validate', 'DataValidationError', VALIDATION);
    for (const text of [formatResult(result), explainRecord(record(result))]) {
      assert.match(text, /2 validation error\(s\)/);
      assert.match(text, /tenure_months: range: expected >= 0, observed min -5/);
      assert.match(text, /churned: maxNullRatio: expected <= 0, observed 0\.12/);
    }
  });

  it('explain shows the stderr tail and log path; long evidence is cut with a count', async () => {
    const { message, logFile } = await trainingFailure();
    const text = explainRecord(record(failed('train', 'TrainingCommandError', message)));
    assert.ok(text.includes(`log: ${logFile}`), text);
    assert.match(text, /ValueError: Input contains NaN/);
    const many = ['x: 60 validation error(s)', ...Array.from({ length: 60 }, (_, i) => `  col${i}: type: expected integer, observed text`)].join('\n');
    const cut = formatResult(failed('validate', 'DataValidationError', many));
    assert.match(cut, /col0: type/);
    assert.doesNotMatch(cut, new RegExp(`col${FAILURE_LINES}: type`));
    assert.match(cut, new RegExp(`… ${60 - FAILURE_LINES} more line\\(s\\)`));
  });
});

function record(result: PipelineResult): RunRecord {
  return {
    model: 'churn',
    workflowId: 'retrain/churn/test',
    temporalRunId: 'run',
    parentWorkflowId: null,
    startedAt: '2026-03-15T02:00:00Z',
    finishedAt: '2026-03-15T02:01:00Z',
    triggers: [{ reason: 'manual', source: 'test' }],
    coalesced: { total: 1, byReason: { manual: 1 } } as RunRecord['coalesced'],
    force: false,
    decision: null,
    dataLocation: null,
    check: null,
    result,
    codeVersion: null,
    configFile: null,
  };
}
