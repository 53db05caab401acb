import { Settings } from '../config/settings';
import { ACTING_MARGIN_SHARE } from '../lifecycle/acting-fence';

/**
 * How every AWS client of the manager is built. Credentials come from the SDK's default chain
 * (environment, ~/.aws, task role) and AWS_ENDPOINT_URL is the SDK's own; throttling, 5xx and
 * timeouts are retried by the SDK's adaptive mode, which also slows down when AWS says so. Each
 * attempt has a deadline (AWS_REQUEST_TIMEOUT): by default the SDK waits for an answer forever,
 * and one hung call would hold a shared launch poll, a server in 'stopping' or a lease renewal
 * with it. A connection must open within the leader's acting margin: the fence is checked as an
 * attempt leaves, and an attempt still connecting when the lease could pass must not land after.
 */
export const awsClientConfig = (settings: Settings) => ({
  region: settings.AWS_REGION,
  maxAttempts: settings.AWS_MAX_ATTEMPTS,
  retryMode: 'adaptive' as const,
  requestHandler: {
    requestTimeout: settings.AWS_REQUEST_TIMEOUT * 1000,
    connectionTimeout: Math.min(settings.AWS_REQUEST_TIMEOUT, settings.LEASE_DURATION * ACTING_MARGIN_SHARE) * 1000,
    throwOnRequestTimeout: true,
  },
});
