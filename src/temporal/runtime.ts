import { format } from 'node:util';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { redact } from '../redact.js';

/** The SDK's own line format, redacted: activity failures and workflow logs must not print secrets. */
function redactedLogLine({ level, timestampNanos, message, meta }: LogEntry): void {
  const date = new Date(Number(timestampNanos / 1_000_000n));
  const line = meta === undefined ? `${format(date)} [${level}] ${message}` : `${format(date)} [${level}] ${message} ${format(meta)}`;
  process.stderr.write(`${redact(line)}\n`);
}

/**
 * The SDK runtime, installed once per process before anything else is created:
 * - logs at WARN unless RETRAIN_LOG_LEVEL says otherwise, every line (native ones included) redacted (src/redact.ts);
 * - with RETRAIN_METRICS_ADDRESS (e.g. 0.0.0.0:9464), a Prometheus endpoint at /metrics with the
 *   SDK's worker metrics and the project's own counters (retrain_triggers_*, retrain_runs).
 */
export function installRuntime(level = process.env.RETRAIN_LOG_LEVEL ?? 'WARN', metricsAddress = process.env.RETRAIN_METRICS_ADDRESS): void {
  Runtime.install({
    logger: new DefaultLogger(level as 'WARN', redactedLogLine),
    telemetryOptions: {
      // The SDK's native (Rust) side would print to the console directly; forwarded, its lines are redacted too.
      logging: { filter: { core: level as 'WARN', other: 'ERROR' }, forward: {} },
      ...(metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true } } } : {}),
    },
  });
}
