import { Module } from '@nestjs/common';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { Settings } from '../config/settings';

/**
 * The AWS clients. Credentials come from the SDK's default chain (environment, ~/.aws, task
 * role) and AWS_ENDPOINT_URL is the SDK's own; throttling, 5xx and timeouts are retried by the
 * SDK's adaptive mode, which also slows down when AWS says so. Each attempt has a deadline
 * (AWS_REQUEST_TIMEOUT): by default the SDK waits for an answer forever, and one hung call would
 * hold a shared launch poll, or a server in 'stopping', with it.
 */
const clientConfig = (settings: Settings) => ({
  region: settings.AWS_REGION,
  maxAttempts: settings.AWS_MAX_ATTEMPTS,
  retryMode: 'adaptive' as const,
  requestHandler: { requestTimeout: settings.AWS_REQUEST_TIMEOUT * 1000, connectionTimeout: settings.AWS_REQUEST_TIMEOUT * 1000, throwOnRequestTimeout: true },
});

@Module({
  providers: [
    { provide: ECSClient, inject: [Settings], useFactory: (settings: Settings) => new ECSClient(clientConfig(settings)) },
    { provide: EC2Client, inject: [Settings], useFactory: (settings: Settings) => new EC2Client(clientConfig(settings)) },
  ],
  exports: [ECSClient, EC2Client],
})
export class AwsModule {}
