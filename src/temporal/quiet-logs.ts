import { DefaultLogger, Runtime } from '@temporalio/worker';

/** Worker and bundler logs at WARN unless RETRAIN_LOG_LEVEL says otherwise; call before creating anything. */
export function installRuntimeLogger(level = process.env.RETRAIN_LOG_LEVEL ?? 'WARN'): void {
  Runtime.install({ logger: new DefaultLogger(level as 'WARN') });
}
