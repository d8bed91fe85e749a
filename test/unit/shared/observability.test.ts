import { afterEach, describe, expect, it, vi } from 'vitest';

/** The namespace of the EMF document Powertools builds for one metric, as loaded with the current environment. */
async function emittedNamespace(): Promise<unknown> {
  vi.resetModules();
  const { createMetrics } = await import('../../../lambdas/shared/observability.js');
  const metrics = createMetrics();
  metrics.addMetric('Allowed', 'Count', 1);
  return metrics.serializeMetrics()._aws.CloudWatchMetrics[0]?.Namespace;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('metrics namespace', () => {
  it('is the deployment\'s, from POWERTOOLS_METRICS_NAMESPACE (set by the CDK construct)', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'keygate/KeygateService');

    expect(await emittedNamespace()).toBe('keygate/KeygateService');
  });

  it('is keygate without it (local mode, tests)', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', '');

    expect(await emittedNamespace()).toBe('keygate');
  });
});
