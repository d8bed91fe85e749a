import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const SERVICE_NAME = 'keygate';
export const METRICS_NAMESPACE = process.env['POWERTOOLS_METRICS_NAMESPACE'] || 'keygate';

/** Structured JSON logs; POWERTOOLS_* variables still override these defaults. */
export function createLogger(component: string): Logger {
  return new Logger({ serviceName: SERVICE_NAME, persistentKeys: { component } });
}

/** EMF metrics in the keygate namespace, dimension service=keygate. */
export function createMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
}
