import { DefaultLogger, Runtime } from '@temporalio/worker';

/**
 * The SDK runtime, installed once per process before anything else is created:
 * - logs at WARN unless RETRAIN_LOG_LEVEL says otherwise;
 * - with RETRAIN_METRICS_ADDRESS (e.g. 0.0.0.0:9464), a Prometheus endpoint at /metrics with the
 *   SDK's worker metrics and the project's own counters (retrain_triggers_*, retrain_runs).
 */
export function installRuntime(level = process.env.RETRAIN_LOG_LEVEL ?? 'WARN', metricsAddress = process.env.RETRAIN_METRICS_ADDRESS): void {
  Runtime.install({
    logger: new DefaultLogger(level as 'WARN'),
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true } } } } : {}),
  });
}
