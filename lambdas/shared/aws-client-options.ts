/**
 * Retries and timeouts for every AWS client the Lambdas make: fail closed in seconds, well inside
 * the authorizer's 10 s timeout, rather than hang. `throwOnRequestTimeout` matters: without it the
 * HTTP handler only logs a warning when `requestTimeout` passes and keeps waiting. Two attempts of
 * at most 1.5 s each (plus the SDK's short back-off) bound a dependency fault to about 3.5 s.
 */
export const FAIL_FAST_CLIENT_OPTIONS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
} as const;
