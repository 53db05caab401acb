import { Transform } from 'class-transformer';
import { applyDecorators } from '@nestjs/common';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { MAX_SERVER_CAPACITY } from './max-server-capacity';

/** Plain decimal notation only: `0x4` or `1e3` in a margin is far more likely a typo than intent. */
const DECIMAL = /^\s*-?\d+(\.\d+)?\s*$/;
/** Environment values arrive as strings (empty ones are dropped before this, so defaults apply). */
const toNumber = () => Transform(({ value }) => (typeof value === 'string' ? (DECIMAL.test(value) ? Number(value) : NaN) : value));
const toText = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/** A finite number from `min` up (and to `max`), with one message for every way of missing it. */
const numberFrom = (min: number, message: string, max?: number) =>
  applyDecorators(
    toNumber(),
    IsNumber({ allowNaN: false, allowInfinity: false }, { message }),
    Min(min, { message }),
    ...(max === undefined ? [] : [Max(max, { message })]),
  );
/** A duration in seconds, more than 0. */
const positiveSeconds = () => numberFrom(0.001, 'must be a number of seconds > 0');
/** A duration in seconds, 0 allowed. */
const seconds = (meaningOfZero = '') => numberFrom(0, `must be a number of seconds >= 0${meaningOfZero}`);

const WHOLE = (min: number) => ({ message: `must be a whole number >= ${min}` });
const PORT_NUMBER = '(?:[1-9]\\d{0,3}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d{2}|655[0-2]\\d|6553[0-5])';
const HOST_PORT = new RegExp(`^(?:[A-Za-z0-9.\\-]+|\\[[0-9A-Fa-f:]+\\]):${PORT_NUMBER}$`);


export const PLATFORMS = ['local', 'ecs'] as const;
export type PlatformName = (typeof PLATFORMS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export const ECS_LAUNCH_TYPES = ['EC2', 'FARGATE'] as const;
export const ADDRESS_KINDS = ['public', 'private'] as const;
export type AddressKind = (typeof ADDRESS_KINDS)[number];
export const PUBLIC_IP_MODES = ['ENABLED', 'DISABLED'] as const;
export type EcsLaunchType = (typeof ECS_LAUNCH_TYPES)[number];
export const MARGIN_MODES = ['fixed', 'adaptive'] as const;
/** fixed: the policy holds UPSCALE_MARGIN; adaptive: at least that, and what the demand's growth over a boot needs. */
export type MarginMode = (typeof MARGIN_MODES)[number];

/**
 * Every setting of the manager, read from the environment (and `.env`), with its default.
 * Unknown variables (SECRET_KEY, DEBUG, ...) are ignored, so the earlier manager's `.env` starts
 * this one unchanged. Durations are in seconds, as SLEEP_TIME always was.
 */
export class Settings {
  @toNumber() @IsInt(WHOLE(1)) @Min(1, WHOLE(1)) @Max(65535, { message: 'must be a port number from 1 to 65535' })
  PORT = 3000;

  @toText() @IsString() @MinLength(1)
  HOST = '0.0.0.0';

  /**
   * Set: the operator API, /metrics and /docs are served on this port alone (on OPERATOR_HOST),
   * and PORT serves only the game clients and /health. Unset: everything on PORT.
   */
  @toNumber() @IsOptional() @IsInt(WHOLE(1)) @Min(1, WHOLE(1)) @Max(65535, { message: 'must be a port number from 1 to 65535' })
  OPERATOR_PORT?: number;

  /** The address OPERATOR_PORT listens on; unset: HOST. */
  @toText() @IsOptional() @IsString() @MinLength(1)
  OPERATOR_HOST?: string;

  /** Seconds between failing readiness (and handing out nothing) and closing the listener, on SIGTERM. */
  @seconds()
  SHUTDOWN_DELAY = 2;

  /** Seconds a client may take to send a request's headers; slower ones are cut off (slowloris). */
  @positiveSeconds()
  HTTP_HEADERS_TIMEOUT = 10;

  /** Seconds a client may take to send a whole request. */
  @positiveSeconds()
  HTTP_REQUEST_TIMEOUT = 30;

  /** Client connections held at once; beyond it new ones are closed at once. Unset: from the process's file descriptor limit. */
  @toNumber() @IsOptional() @IsInt(WHOLE(1)) @Min(1, WHOLE(1))
  HTTP_MAX_CONNECTIONS?: number;

  @toText() @IsIn(LOG_LEVELS, { message: `must be one of: ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevelName = 'info';

  /** Origins allowed to call the game client endpoints from a browser: `*`, or a comma-separated list. */
  @toText() @Matches(/^(\*|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\s*,\s*https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)*)$/, {
    message: 'must be * or a comma-separated list of origins such as https://play.example.com',
  })
  CORS_ORIGINS = '*';

  /**
   * Proxies allowed to name the client in X-Forwarded-For (a load balancer): IP addresses or CIDR
   * ranges, comma-separated, or loopback, linklocal, uniquelocal (trusted-proxies.ts). Unset: the
   * client is the socket's peer, and X-Forwarded-For is ignored, since anyone can send it.
   */
  @toText() @IsOptional() @IsString()
  TRUSTED_PROXIES?: string;

  /** Places one client address may be handed per minute; more get 429. 0: no limit. */
  @toNumber() @IsInt(WHOLE(0)) @Min(0, WHOLE(0))
  CLIENT_ALLOCATIONS_PER_MINUTE = 600;

  /**
   * Places one client address may hold at once, handed out and not yet taken; more get 429. The
   * default lets 200 players a minute through one NAT even if none of them ever joined (200 a
   * minute for the 15-s RESERVATION_TIMEOUT is 50). 0: no limit.
   */
  @toNumber() @IsInt(WHOLE(0)) @Min(0, WHOLE(0))
  CLIENT_RESERVED_PLACES = 50;

  @toText() @IsIn(PLATFORMS, { message: `must be one of: ${PLATFORMS.join(', ')}` })
  PLATFORM: PlatformName = 'local';

  @toNumber() @IsInt(WHOLE(0)) @Min(0, WHOLE(0))
  UPSCALE_MARGIN = 4;

  @toNumber() @IsInt(WHOLE(0)) @Min(0, WHOLE(0))
  DOWNSCALE_MARGIN = 18;

  @toText() @IsIn(MARGIN_MODES, { message: `must be one of: ${MARGIN_MODES.join(', ')}` })
  MARGIN_MODE: MarginMode = 'fixed';

  /**
   * Windows of known events with the capacity they need, reached before each begins: a JSON list
   * (capacity-schedule.ts). Checked by validateSettings, which names the window at fault.
   */
  @toText() @IsOptional() @IsString()
  CAPACITY_SCHEDULE?: string;

  @toNumber() @IsInt(WHOLE(1)) @Min(1, WHOLE(1))
  @Max(MAX_SERVER_CAPACITY, { message: `must be a whole number from 1 to ${MAX_SERVER_CAPACITY}, the most places a health report may show` })
  SERVER_CAPACITY = 10;

  @seconds()
  SLEEP_TIME = 1;

  @toText() @IsOptional() @Matches(HOST_PORT, { message: 'must be an address of the form host:port' })
  BACKUP_GAMESERVER?: string;

  @toNumber() @IsInt(WHOLE(0)) @Min(0, WHOLE(0))
  MIN_SERVERS = 1;

  @toNumber() @IsInt(WHOLE(1)) @Min(1, WHOLE(1))
  MAX_SERVERS = 100;

  @toNumber() @IsInt(WHOLE(1)) @Min(1, WHOLE(1))
  MAX_LAUNCHES_IN_FLIGHT = 20;

  /** Servers of an older game server version drained at once by a rollout; 0: no rollout. */
  @toNumber() @IsInt(WHOLE(0)) @Min(0, WHOLE(0))
  ROLLOUT_MAX_DRAINING = 1;

  @toNumber() @IsInt(WHOLE(1)) @Min(1, WHOLE(1))
  UNHEALTHY_THRESHOLD = 3;

  /** Seconds a server whose last good report showed players (or that got a player since) is kept while its probes fail. */
  @seconds()
  UNHEALTHY_PLAYER_GRACE = 180;

  /** Share of the healthy servers that, failing at once, makes the manager suspect itself; 1 turns that off. */
  @numberFrom(0, 'must be a share from 0 to 1', 1)
  PROBE_OUTAGE_THRESHOLD = 0.5;

  @positiveSeconds()
  RESERVATION_TIMEOUT = 15;

  @positiveSeconds()
  LAUNCH_TIMEOUT = 300;

  /** 0 keeps a draining server until its last player leaves. */
  @seconds(' (0: no limit)')
  DRAIN_TIMEOUT = 0;

  @positiveSeconds()
  LAUNCH_BACKOFF_BASE = 5;

  @positiveSeconds()
  LAUNCH_BACKOFF_MAX = 300;

  @positiveSeconds()
  PROBE_TIMEOUT = 2;

  @toNumber() @IsInt(WHOLE(1)) @Min(1, WHOLE(1))
  PROBE_CONCURRENCY = 64;

  @toText() @IsOptional() @IsString()
  AWS_REGION?: string;

  @toText() @IsString() @MinLength(1)
  ECS_CLUSTER = 'default';

  @toText() @IsIn(ECS_LAUNCH_TYPES, { message: `must be one of: ${ECS_LAUNCH_TYPES.join(', ')}` })
  ECS_LAUNCH_TYPE: EcsLaunchType = 'EC2';

  @toText() @IsOptional() @IsString()
  ECS_INSTANCE_LAUNCH_TEMPLATE?: string;

  /** Fargate: comma-separated subnet ids for the tasks' network interfaces. */
  @toText() @IsOptional() @Matches(/^subnet-[0-9a-z]+(\s*,\s*subnet-[0-9a-z]+)*$/, { message: 'must be a comma-separated list of subnet ids (subnet-...)' })
  ECS_SUBNETS?: string;

  /** Fargate: comma-separated security group ids. */
  @toText() @IsOptional() @Matches(/^sg-[0-9a-z]+(\s*,\s*sg-[0-9a-z]+)*$/, { message: 'must be a comma-separated list of security group ids (sg-...)' })
  ECS_SECURITY_GROUPS?: string;

  @toText() @IsIn(PUBLIC_IP_MODES, { message: `must be one of: ${PUBLIC_IP_MODES.join(', ')}` })
  ECS_ASSIGN_PUBLIC_IP: (typeof PUBLIC_IP_MODES)[number] = 'ENABLED';

  /** The game server's container in the task definition; empty: the first (essential) one that maps a port. */
  @toText() @IsOptional() @IsString() @MinLength(1)
  ECS_CONTAINER_NAME?: string;

  /** The game server's container port; empty: the game container's first mapped port. */
  @toNumber() @IsOptional() @IsInt(WHOLE(1)) @Min(1, WHOLE(1)) @Max(65535, { message: 'must be a port number from 1 to 65535' })
  ECS_CONTAINER_PORT?: number;

  /** Which address game clients get: the instance's (or ENI's) public or private IP. */
  @toText() @IsIn(ADDRESS_KINDS, { message: `must be one of: ${ADDRESS_KINDS.join(', ')}` })
  CLIENT_ADDRESS: AddressKind = 'public';

  /** Which address the manager probes: private when it runs inside the VPC. */
  @toText() @IsIn(ADDRESS_KINDS, { message: `must be one of: ${ADDRESS_KINDS.join(', ')}` })
  PROBE_ADDRESS: AddressKind = 'public';

  /** How often a launch checks whether its instance joined the cluster and its task runs. */
  @positiveSeconds()
  ECS_POLL_INTERVAL = 5;

  /** Seconds between resyncs of the fleet with the platform (both platforms), beside the passes. */
  @numberFrom(0.05, 'must be a number of seconds >= 0.05')
  ECS_RESYNC_INTERVAL = 120;

  /** Seconds one attempt of an AWS call may take before it fails as a timeout (and is retried). */
  @positiveSeconds()
  AWS_REQUEST_TIMEOUT = 10;

  /** Attempts of each AWS call by the SDK's adaptive retry (throttling, 5xx, timeouts). */
  @toNumber() @IsInt(WHOLE(1)) @Min(1, WHOLE(1))
  AWS_MAX_ATTEMPTS = 5;

  @toText() @IsOptional() @IsString()
  SERVER_TASK_DEFINITION?: string;

  /** The name on everything the manager launches (instance tag); its sweep takes nothing else. Empty: the task family. */
  @toText() @IsOptional() @Matches(/^[A-Za-z0-9_.:\/=+@-]{1,128}$/, { message: 'must be 1 to 128 letters, digits or _ . : / = + @ - (an AWS tag value)' })
  FLEET_NAME?: string;

  /** Empty: the bundled sample game server. */
  @toText() @IsOptional() @IsString()
  LOCAL_GAMESERVER_COMMAND?: string;

  @toText() @IsString() @MinLength(1)
  LOCAL_STATE_DIR = '.fleet-state';

  @toText() @IsOptional() @IsString() @MinLength(16, { message: 'must be at least 16 characters long' })
  ADMIN_TOKEN?: string;

  /**
   * Set: game clients must send a ticket signed with this secret (client-ticket.ts) to be given a
   * place or the server list; for studios that can change their clients. Unset: no ticket asked.
   */
  @toText() @IsOptional() @IsString() @MinLength(32, { message: 'must be at least 32 characters long' })
  CLIENT_TICKET_SECRET?: string;

  /** ECS: the DynamoDB table that holds the leader lease. Empty: one manager, and no overlap is safe. */
  @toText() @IsOptional() @Matches(/^[A-Za-z0-9_.-]{3,255}$/, { message: 'must be a DynamoDB table name: 3 to 255 letters, digits or _ . -' })
  LEASE_TABLE?: string;

  /** Seconds a lease lasts unrenewed: a standby takes over this long after a crashed leader's last renewal. */
  @numberFrom(2, 'must be a number of seconds >= 2')
  LEASE_DURATION = 10;

  /** Seconds between the leader's renewals of its lease. */
  @positiveSeconds()
  LEASE_RENEW_INTERVAL = 2;

  /** Seconds between a standby's looks at the lease. */
  @positiveSeconds()
  LEASE_ACQUIRE_INTERVAL = 1;
}

/** Settings whose values never appear in messages or logs. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(['ADMIN_TOKEN', 'CLIENT_TICKET_SECRET']);

/** Rules that tie several settings together; each names the variables involved. */
export function crossFieldErrors(s: Settings): string[] {
  const errors: string[] = [];
  if (s.DOWNSCALE_MARGIN - s.UPSCALE_MARGIN <= s.SERVER_CAPACITY) {
    errors.push(
      `DOWNSCALE_MARGIN=${s.DOWNSCALE_MARGIN} must exceed UPSCALE_MARGIN=${s.UPSCALE_MARGIN} by more than SERVER_CAPACITY=${s.SERVER_CAPACITY}, otherwise the fleet would flap`,
    );
  }
  if (s.HTTP_HEADERS_TIMEOUT > s.HTTP_REQUEST_TIMEOUT) {
    errors.push(`HTTP_HEADERS_TIMEOUT=${s.HTTP_HEADERS_TIMEOUT} must not exceed HTTP_REQUEST_TIMEOUT=${s.HTTP_REQUEST_TIMEOUT}: the headers are part of the request`);
  }
  if (s.OPERATOR_PORT !== undefined && s.OPERATOR_PORT === s.PORT) {
    errors.push(`OPERATOR_PORT=${s.OPERATOR_PORT} must differ from PORT=${s.PORT}: it keeps the operator's endpoints off the public port`);
  }
  if (s.MIN_SERVERS > s.MAX_SERVERS) {
    errors.push(`MIN_SERVERS=${s.MIN_SERVERS} must not exceed MAX_SERVERS=${s.MAX_SERVERS}`);
  }
  if (s.LAUNCH_BACKOFF_BASE > s.LAUNCH_BACKOFF_MAX) {
    errors.push(`LAUNCH_BACKOFF_BASE=${s.LAUNCH_BACKOFF_BASE} must not exceed LAUNCH_BACKOFF_MAX=${s.LAUNCH_BACKOFF_MAX}`);
  }
  if (s.LEASE_RENEW_INTERVAL > s.LEASE_DURATION / 3) {
    errors.push(`LEASE_RENEW_INTERVAL=${s.LEASE_RENEW_INTERVAL} must be at most a third of LEASE_DURATION=${s.LEASE_DURATION}, so that a leader survives a failed renewal or two`);
  }
  if (s.LEASE_ACQUIRE_INTERVAL > s.LEASE_DURATION / 2) {
    errors.push(`LEASE_ACQUIRE_INTERVAL=${s.LEASE_ACQUIRE_INTERVAL} must be at most half of LEASE_DURATION=${s.LEASE_DURATION}, or a standby would notice a crashed leader too late`);
  }
  if (s.LEASE_TABLE && s.PLATFORM !== 'ecs') {
    errors.push('LEASE_TABLE is for PLATFORM=ecs; the local platform keeps its lease in LOCAL_STATE_DIR');
  }
  if (s.PLATFORM === 'ecs' && !s.SERVER_TASK_DEFINITION) {
    errors.push('SERVER_TASK_DEFINITION is required when PLATFORM=ecs');
  }
  if (s.PLATFORM === 'ecs' && s.ECS_LAUNCH_TYPE === 'FARGATE' && !s.ECS_SUBNETS) {
    errors.push('ECS_SUBNETS is required when PLATFORM=ecs and ECS_LAUNCH_TYPE=FARGATE');
  }
  if (s.PLATFORM === 'ecs' && s.ECS_LAUNCH_TYPE === 'EC2' && !s.ECS_INSTANCE_LAUNCH_TEMPLATE) {
    errors.push('ECS_INSTANCE_LAUNCH_TEMPLATE is required when PLATFORM=ecs and ECS_LAUNCH_TYPE=EC2');
  }
  return errors;
}
