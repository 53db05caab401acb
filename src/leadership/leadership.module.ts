import { Global, Module } from '@nestjs/common';
import { resolve } from 'node:path';
import { fleetNameOf } from '../config/fleet-name';
import { Settings } from '../config/settings';
import { awsClientConfig } from '../aws/aws-client-config';
import { timed } from '../aws/timed-client';
import { FleetMetrics } from '../metrics/fleet-metrics';
import type * as DynamoDbFile from '@aws-sdk/client-dynamodb';
import type * as DynamoDbStoreFile from './dynamodb-lease-store';
import { FileLeaseStore } from './file-lease-store';
import { Leadership } from './leadership.service';
import { LEASE_STORE, LeaseStore } from './lease-store';

/**
 * The lease store for the platform: the state directory locally (always), a DynamoDB table on ECS
 * when LEASE_TABLE names one, else none.
 */
function leaseStoreFor(settings: Settings, metrics: FleetMetrics): LeaseStore | null {
  if (settings.PLATFORM === 'local') return new FileLeaseStore(resolve(settings.LOCAL_STATE_DIR));
  if (!settings.LEASE_TABLE) return null;
  // require, not import: the DynamoDB client is loaded only by a manager that uses it.
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb') as typeof DynamoDbFile;
  const { DynamoDbLeaseStore } = require('./dynamodb-lease-store') as typeof DynamoDbStoreFile;
  return new DynamoDbLeaseStore(timed(new DynamoDBClient(leaseClientConfig(settings)), metrics), settings.LEASE_TABLE, fleetNameOf(settings));
}

/**
 * The lease's DynamoDB client: one attempt per call, no longer than a renewal interval. The
 * leadership tries again on its own schedule; a call that outlasted the interval would only hold
 * the next renewal back.
 */
export function leaseClientConfig(settings: Settings) {
  const timeoutMs = Math.min(settings.LEASE_RENEW_INTERVAL, settings.AWS_REQUEST_TIMEOUT) * 1000;
  const base = awsClientConfig(settings);
  return { ...base, maxAttempts: 1, requestHandler: { ...base.requestHandler, requestTimeout: timeoutMs, connectionTimeout: timeoutMs } };
}

@Global()
@Module({
  providers: [{ provide: LEASE_STORE, inject: [Settings, FleetMetrics], useFactory: leaseStoreFor }, Leadership],
  exports: [Leadership],
})
export class LeadershipModule {}
