import { Settings } from '../../src/config/settings';
import { InvalidSettingsError, validateSettings } from '../../src/config/validate-settings';
import { EARLIER_DOTENV } from '../support/earlier-dotenv';

type Env = Record<string, string | undefined>;

function parseDotenv(text: string): Env {
  const lines = text.split('\n').filter((line) => line.includes('='));
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

function refusal(env: Env): InvalidSettingsError {
  try {
    validateSettings(env);
  } catch (error) {
    if (error instanceof InvalidSettingsError) return error;
    throw error;
  }
  throw new Error(`settings accepted: ${JSON.stringify(env)}`);
}

const DEFAULTS = {
  PORT: 3000,
  HOST: '0.0.0.0',
  SHUTDOWN_DELAY: 2,
  HTTP_HEADERS_TIMEOUT: 10,
  HTTP_REQUEST_TIMEOUT: 30,
  HTTP_MAX_CONNECTIONS: undefined,
  LOG_LEVEL: 'info',
  CORS_ORIGINS: '*',
  TRUSTED_PROXIES: undefined,
  CLIENT_ALLOCATIONS_PER_MINUTE: 600,
  CLIENT_RESERVED_PLACES: 50,
  ECS_SUBNETS: undefined,
  ECS_SECURITY_GROUPS: undefined,
  ECS_ASSIGN_PUBLIC_IP: 'ENABLED',
  ECS_CONTAINER_NAME: undefined,
  ECS_CONTAINER_PORT: undefined,
  CLIENT_ADDRESS: 'public',
  PROBE_ADDRESS: 'public',
  ECS_POLL_INTERVAL: 5,
  ECS_RESYNC_INTERVAL: 120,
  AWS_MAX_ATTEMPTS: 5,
  AWS_REQUEST_TIMEOUT: 10,
  PLATFORM: 'local',
  MARGIN_MODE: 'fixed',
  UPSCALE_MARGIN: 4,
  DOWNSCALE_MARGIN: 18,
  SERVER_CAPACITY: 10,
  SLEEP_TIME: 1,
  BACKUP_GAMESERVER: undefined,
  MIN_SERVERS: 1,
  MAX_SERVERS: 100,
  MAX_LAUNCHES_IN_FLIGHT: 20,
  ROLLOUT_MAX_DRAINING: 1,
  UNHEALTHY_THRESHOLD: 3,
  UNHEALTHY_PLAYER_GRACE: 180,
  PROBE_OUTAGE_THRESHOLD: 0.5,
  RESERVATION_TIMEOUT: 15,
  LAUNCH_TIMEOUT: 300,
  DRAIN_TIMEOUT: 0,
  LAUNCH_BACKOFF_BASE: 5,
  LAUNCH_BACKOFF_MAX: 300,
  PROBE_TIMEOUT: 2,
  PROBE_CONCURRENCY: 64,
  AWS_REGION: undefined,
  ECS_CLUSTER: 'default',
  ECS_LAUNCH_TYPE: 'EC2',
  ECS_INSTANCE_LAUNCH_TEMPLATE: undefined,
  SERVER_TASK_DEFINITION: undefined,
  FLEET_NAME: undefined,
  LOCAL_GAMESERVER_COMMAND: undefined,
  LOCAL_STATE_DIR: '.fleet-state',
  ADMIN_TOKEN: undefined,
  LEASE_TABLE: undefined,
  LEASE_DURATION: 10,
  LEASE_RENEW_INTERVAL: 2,
  LEASE_ACQUIRE_INTERVAL: 1,
};

describe('validateSettings', () => {
  it("accepts the earlier manager's .env unchanged, with typed values", () => {
    const settings = validateSettings(parseDotenv(EARLIER_DOTENV));

    expect(settings).toBeInstanceOf(Settings);
    expect(settings).toEqual({
      ...DEFAULTS,
      AWS_REGION: 'ap-south-1',
      UPSCALE_MARGIN: 4,
      DOWNSCALE_MARGIN: 18,
      SERVER_CAPACITY: 10,
      ECS_INSTANCE_LAUNCH_TEMPLATE: 'defaultECS',
      SERVER_TASK_DEFINITION: 'LaunchGameserver',
      SLEEP_TIME: 0,
      BACKUP_GAMESERVER: '127.0.0.1:8888',
    });
    expect(settings).not.toHaveProperty('SECRET_KEY');
    expect(settings).not.toHaveProperty('DEBUG');
  });

  it('gives every default when nothing is set', () => {
    expect(validateSettings({})).toEqual(DEFAULTS);
  });

  it('treats empty and undefined values as not set, so the defaults apply', () => {
    const env: Env = { PORT: '', HOST: '', PLATFORM: '', SLEEP_TIME: '', BACKUP_GAMESERVER: '', ADMIN_TOKEN: '', MIN_SERVERS: undefined };
    expect(validateSettings(env)).toEqual(DEFAULTS);
  });

  it.each<{ name: string; env: Env; expected: Partial<Settings> }>([
    { name: 'the lowest port', env: { PORT: '1' }, expected: { PORT: 1 } },
    { name: 'the highest port', env: { PORT: '65535' }, expected: { PORT: 65535 } },
    { name: 'fractional seconds', env: { SLEEP_TIME: '0.5', RESERVATION_TIMEOUT: '0.25' }, expected: { SLEEP_TIME: 0.5, RESERVATION_TIMEOUT: 0.25 } },
    { name: 'zero where zero is allowed', env: { MIN_SERVERS: '0', DRAIN_TIMEOUT: '0', UPSCALE_MARGIN: '0' }, expected: { MIN_SERVERS: 0, DRAIN_TIMEOUT: 0, UPSCALE_MARGIN: 0 } },
    { name: 'MIN_SERVERS equal to MAX_SERVERS', env: { MIN_SERVERS: '3', MAX_SERVERS: '3' }, expected: { MIN_SERVERS: 3, MAX_SERVERS: 3 } },
    { name: 'a host name backup address', env: { BACKUP_GAMESERVER: 'backup.example.com:7777' }, expected: { BACKUP_GAMESERVER: 'backup.example.com:7777' } },
    { name: 'a bracketed IPv6 backup address', env: { BACKUP_GAMESERVER: '[::1]:65535' }, expected: { BACKUP_GAMESERVER: '[::1]:65535' } },
    { name: 'an ADMIN_TOKEN of exactly 16 characters', env: { ADMIN_TOKEN: '0123456789abcdef' }, expected: { ADMIN_TOKEN: '0123456789abcdef' } },
    {
      name: 'the ecs platform with its task definition, on Fargate',
      env: { PLATFORM: 'ecs', SERVER_TASK_DEFINITION: 'LaunchGameserver', ECS_LAUNCH_TYPE: 'FARGATE', ECS_CLUSTER: 'games', ECS_SUBNETS: 'subnet-0a1b, subnet-2c3d', ECS_SECURITY_GROUPS: 'sg-0a1b' },
      expected: { PLATFORM: 'ecs', SERVER_TASK_DEFINITION: 'LaunchGameserver', ECS_LAUNCH_TYPE: 'FARGATE', ECS_CLUSTER: 'games', ECS_SUBNETS: 'subnet-0a1b, subnet-2c3d' },
    },
    {
      name: 'values with blanks around them, as a quoted .env value or a copied one may have',
      env: { HOST: ' 127.0.0.1 ', LOG_LEVEL: ' debug', PLATFORM: 'local\t', CLIENT_ADDRESS: 'private ' },
      expected: { HOST: '127.0.0.1', LOG_LEVEL: 'debug', PLATFORM: 'local', CLIENT_ADDRESS: 'private' },
    },
    { name: 'HTTP_HEADERS_TIMEOUT equal to HTTP_REQUEST_TIMEOUT', env: { HTTP_HEADERS_TIMEOUT: '30' }, expected: { HTTP_HEADERS_TIMEOUT: 30, HTTP_REQUEST_TIMEOUT: 30 } },
    { name: 'LAUNCH_BACKOFF_BASE equal to LAUNCH_BACKOFF_MAX', env: { LAUNCH_BACKOFF_BASE: '300' }, expected: { LAUNCH_BACKOFF_BASE: 300, LAUNCH_BACKOFF_MAX: 300 } },
    {
      name: 'LEASE_RENEW_INTERVAL exactly a third of LEASE_DURATION',
      env: { LEASE_DURATION: '6', LEASE_RENEW_INTERVAL: '2' },
      expected: { LEASE_DURATION: 6, LEASE_RENEW_INTERVAL: 2 },
    },
    {
      name: 'LEASE_ACQUIRE_INTERVAL exactly half of LEASE_DURATION',
      env: { LEASE_DURATION: '6', LEASE_RENEW_INTERVAL: '2', LEASE_ACQUIRE_INTERVAL: '3' },
      expected: { LEASE_DURATION: 6, LEASE_ACQUIRE_INTERVAL: 3 },
    },
    {
      name: 'LEASE_TABLE on the ecs platform',
      env: { PLATFORM: 'ecs', SERVER_TASK_DEFINITION: 'LaunchGameserver', ECS_INSTANCE_LAUNCH_TEMPLATE: 'defaultECS', LEASE_TABLE: 'fleet-manager-lease' },
      expected: { PLATFORM: 'ecs', LEASE_TABLE: 'fleet-manager-lease' },
    },
    { name: 'TRUSTED_PROXIES as ranges, addresses and names', env: { TRUSTED_PROXIES: '10.0.0.0/16, 2001:db8::/32,192.0.2.1, loopback' }, expected: { TRUSTED_PROXIES: '10.0.0.0/16, 2001:db8::/32,192.0.2.1, loopback' } },
    { name: 'the operator\'s endpoints on a port of their own', env: { OPERATOR_PORT: '9090', OPERATOR_HOST: '10.0.1.5' }, expected: { OPERATOR_PORT: 9090, OPERATOR_HOST: '10.0.1.5' } },
    { name: 'no limit per client', env: { CLIENT_ALLOCATIONS_PER_MINUTE: '0' }, expected: { CLIENT_ALLOCATIONS_PER_MINUTE: 0 } },
    { name: 'no limit of places held per client', env: { CLIENT_RESERVED_PLACES: '0' }, expected: { CLIENT_RESERVED_PLACES: 0 } },
    // A .env prepared for a later move to Fargate must not stop the local manager from starting.
    { name: 'ECS_LAUNCH_TYPE=FARGATE without subnets on the local platform', env: { ECS_LAUNCH_TYPE: 'FARGATE' }, expected: { PLATFORM: 'local', ECS_LAUNCH_TYPE: 'FARGATE' } },
  ])('accepts $name', ({ env, expected }) => {
    expect(validateSettings(env)).toMatchObject(expected);
  });

  it.each<{ variable: string; value: string }>([
    { variable: 'PORT', value: 'http' },
    { variable: 'PORT', value: '0' },
    { variable: 'PORT', value: '65536' },
    { variable: 'PORT', value: '80.5' },
    { variable: 'PORT', value: ' ' },
    { variable: 'PLATFORM', value: 'aws' },
    { variable: 'PLATFORM', value: 'ECS' },
    { variable: 'UPSCALE_MARGIN', value: 'four' },
    { variable: 'UPSCALE_MARGIN', value: '-1' },
    { variable: 'UPSCALE_MARGIN', value: '2.5' },
    { variable: 'DOWNSCALE_MARGIN', value: '-18' },
    { variable: 'SERVER_CAPACITY', value: '0' },
    { variable: 'SERVER_CAPACITY', value: '100001' },
    { variable: 'UNHEALTHY_PLAYER_GRACE', value: '-1' },
    { variable: 'PROBE_OUTAGE_THRESHOLD', value: '1.5' },
    { variable: 'PROBE_OUTAGE_THRESHOLD', value: '50%' },
    { variable: 'SHUTDOWN_DELAY', value: '-2' },
    { variable: 'HTTP_HEADERS_TIMEOUT', value: '0' },
    { variable: 'HTTP_REQUEST_TIMEOUT', value: 'none' },
    { variable: 'HTTP_MAX_CONNECTIONS', value: '0' },
    { variable: 'SLEEP_TIME', value: '-1' },
    { variable: 'SLEEP_TIME', value: 'soon' },
    { variable: 'SLEEP_TIME', value: 'Infinity' },
    { variable: 'BACKUP_GAMESERVER', value: '127.0.0.1' },
    { variable: 'BACKUP_GAMESERVER', value: ':8888' },
    { variable: 'BACKUP_GAMESERVER', value: '127.0.0.1:' },
    { variable: 'BACKUP_GAMESERVER', value: 'http://127.0.0.1:8888' },
    { variable: 'BACKUP_GAMESERVER', value: 'game server:8888' },
    { variable: 'BACKUP_GAMESERVER', value: '127.0.0.1:0' },
    { variable: 'BACKUP_GAMESERVER', value: '127.0.0.1:65536' },
    { variable: 'BACKUP_GAMESERVER', value: '127.0.0.1:99999' },
    { variable: 'MIN_SERVERS', value: '-1' },
    { variable: 'MIN_SERVERS', value: '1.5' },
    { variable: 'MAX_SERVERS', value: '0' },
    { variable: 'MAX_LAUNCHES_IN_FLIGHT', value: '0' },
    { variable: 'ROLLOUT_MAX_DRAINING', value: '-1' },
    { variable: 'UNHEALTHY_THRESHOLD', value: '0' },
    { variable: 'CLIENT_ALLOCATIONS_PER_MINUTE', value: '-1' },
    { variable: 'OPERATOR_PORT', value: '70000' },
    { variable: 'OPERATOR_PORT', value: 'admin' },
    { variable: 'CLIENT_RESERVED_PLACES', value: '2.5' },
    { variable: 'CLIENT_RESERVED_PLACES', value: 'many' },
    { variable: 'RESERVATION_TIMEOUT', value: '0' },
    { variable: 'RESERVATION_TIMEOUT', value: 'fifteen' },
    { variable: 'LAUNCH_TIMEOUT', value: '-300' },
    { variable: 'DRAIN_TIMEOUT', value: '-1' },
    { variable: 'LAUNCH_BACKOFF_BASE', value: '0' },
    { variable: 'LAUNCH_BACKOFF_MAX', value: 'never' },
    { variable: 'PROBE_TIMEOUT', value: '0' },
    { variable: 'PROBE_CONCURRENCY', value: '0' },
    { variable: 'ECS_LAUNCH_TYPE', value: 'fargate' },
    { variable: 'ECS_LAUNCH_TYPE', value: 'SPOT' },
    { variable: 'LOG_LEVEL', value: 'verbose' },
    { variable: 'ECS_SUBNETS', value: '10.0.0.0/24' },
    { variable: 'ECS_SECURITY_GROUPS', value: 'default' },
    { variable: 'ECS_ASSIGN_PUBLIC_IP', value: 'yes' },
    { variable: 'CLIENT_ADDRESS', value: 'elastic' },
    { variable: 'PROBE_ADDRESS', value: 'ipv6' },
    { variable: 'ECS_POLL_INTERVAL', value: '0' },
    { variable: 'ECS_RESYNC_INTERVAL', value: '0' },
    { variable: 'LEASE_TABLE', value: 'ab' },
    { variable: 'LEASE_TABLE', value: 'lease table' },
    { variable: 'LEASE_DURATION', value: '1' },
    { variable: 'LEASE_RENEW_INTERVAL', value: '0' },
    { variable: 'LEASE_ACQUIRE_INTERVAL', value: '-1' },
    { variable: 'FLEET_NAME', value: 'my fleet!' },
    { variable: 'AWS_MAX_ATTEMPTS', value: '0' },
    { variable: 'AWS_REQUEST_TIMEOUT', value: '0' },
    { variable: 'ECS_CONTAINER_PORT', value: '70000' },
    { variable: 'CORS_ORIGINS', value: 'play.example.com' },
    { variable: 'CORS_ORIGINS', value: 'https://a.example.com;https://b.example.com' },
  ])('refuses $variable=$value with one line naming it and what is allowed', ({ variable, value }) => {
    const error = refusal({ ...parseDotenv(EARLIER_DOTENV), [variable]: value });

    expect(error.name).toBe('InvalidSettingsError');
    expect(error.problems).toHaveLength(1);
    expect(error.message.split('\n')).toEqual([expect.stringContaining(`Invalid setting ${variable}=${JSON.stringify(value)}: must `)]);
  });

  it.each([
    ['10.0.0.0/33', 'invalid range on address: 10.0.0.0/33'],
    ['alb.internal', 'invalid IP address: alb.internal'],
    ['10.0.0.0/16; 10.1.0.0/16', 'invalid IP address: 10.0.0.0/16; 10.1.0.0'],
  ])('refuses TRUSTED_PROXIES=%s naming the entry and the forms allowed', (value, problem) => {
    expect(refusal({ TRUSTED_PROXIES: value }).problems).toEqual([
      `Invalid setting TRUSTED_PROXIES=${JSON.stringify(value)}: ${problem}; expected IP addresses or CIDR ranges, comma-separated (10.0.0.0/16, 2001:db8::/32), or loopback, linklocal, uniquelocal`,
    ]);
  });

  it.each(['secret', '0123456789abcde'])('refuses ADMIN_TOKEN=%s as too short without ever showing the token', (token) => {
    const error = refusal({ ADMIN_TOKEN: token });

    expect(error.message).toBe(`Invalid setting ADMIN_TOKEN=<hidden, ${token.length} characters>: must be at least 16 characters long`);
    expect(error.message).not.toContain(token);
  });

  it('refuses a CLIENT_TICKET_SECRET under 32 characters without ever showing it', () => {
    const secret = 'studio-secret-0123456789abcdef';
    const error = refusal({ CLIENT_TICKET_SECRET: secret });

    expect(error.message).toBe(`Invalid setting CLIENT_TICKET_SECRET=<hidden, ${secret.length} characters>: must be at least 32 characters long`);
    expect(error.message).not.toContain(secret);
  });

  // Plain decimals too long for a double become Infinity, which no duration may be.
  it.each(['SLEEP_TIME', 'DRAIN_TIMEOUT', 'UNHEALTHY_PLAYER_GRACE'])('refuses %s of 400 digits, which would be infinite', (variable) => {
    const value = `1${'0'.repeat(400)}`;
    expect(refusal({ [variable]: value }).message).toBe(`Invalid setting ${variable}=${JSON.stringify(value)}: must be a number of seconds >= 0${variable === 'DRAIN_TIMEOUT' ? ' (0: no limit)' : ''}`);
  });

  it.each(['0x4', '1e1', '4 players'])('refuses UPSCALE_MARGIN=%s: numbers are plain decimals', (value) => {
    expect(refusal({ UPSCALE_MARGIN: value }).message).toBe(`Invalid setting UPSCALE_MARGIN=${JSON.stringify(value)}: must be a whole number >= 0`);
  });

  it('refuses several bad variables at once, one line each', () => {
    const error = refusal({ PORT: 'http', PLATFORM: 'aws', SLEEP_TIME: 'soon' });

    expect(error.message.split('\n')).toEqual([
      'Invalid setting PORT="http": must be a port number from 1 to 65535',
      'Invalid setting PLATFORM="aws": must be one of: local, ecs',
      'Invalid setting SLEEP_TIME="soon": must be a number of seconds >= 0',
    ]);
  });

  describe('rules across variables', () => {
    it.each<{ name: string; env: Env; names: string[] }>([
      {
        name: 'DOWNSCALE_MARGIN - UPSCALE_MARGIN exactly SERVER_CAPACITY',
        env: { UPSCALE_MARGIN: '4', DOWNSCALE_MARGIN: '14', SERVER_CAPACITY: '10' },
        names: ['DOWNSCALE_MARGIN=14', 'UPSCALE_MARGIN=4', 'SERVER_CAPACITY=10'],
      },
      {
        name: 'DOWNSCALE_MARGIN below UPSCALE_MARGIN',
        env: { UPSCALE_MARGIN: '20', DOWNSCALE_MARGIN: '18' },
        names: ['DOWNSCALE_MARGIN=18', 'UPSCALE_MARGIN=20', 'SERVER_CAPACITY=10'],
      },
      {
        name: 'a SERVER_CAPACITY larger than the default margins allow',
        env: { SERVER_CAPACITY: '20' },
        names: ['DOWNSCALE_MARGIN=18', 'UPSCALE_MARGIN=4', 'SERVER_CAPACITY=20'],
      },
      { name: 'MIN_SERVERS above MAX_SERVERS', env: { MIN_SERVERS: '5', MAX_SERVERS: '4' }, names: ['MIN_SERVERS=5', 'MAX_SERVERS=4'] },
      { name: 'OPERATOR_PORT the same as PORT', env: { PORT: '8000', OPERATOR_PORT: '8000' }, names: ['OPERATOR_PORT=8000', 'PORT=8000'] },
      {
        name: 'LAUNCH_BACKOFF_BASE above LAUNCH_BACKOFF_MAX',
        env: { LAUNCH_BACKOFF_BASE: '301' },
        names: ['LAUNCH_BACKOFF_BASE=301', 'LAUNCH_BACKOFF_MAX=300'],
      },
      {
        name: 'HTTP_HEADERS_TIMEOUT above HTTP_REQUEST_TIMEOUT',
        env: { HTTP_HEADERS_TIMEOUT: '40' },
        names: ['HTTP_HEADERS_TIMEOUT=40', 'HTTP_REQUEST_TIMEOUT=30'],
      },
      {
        name: 'a lease renewed less often than three times per duration',
        env: { LEASE_DURATION: '6', LEASE_RENEW_INTERVAL: '2.5' },
        names: ['LEASE_RENEW_INTERVAL=2.5', 'LEASE_DURATION=6'],
      },
      {
        name: 'a standby looking at the lease less often than twice per duration',
        env: { LEASE_DURATION: '4', LEASE_RENEW_INTERVAL: '1', LEASE_ACQUIRE_INTERVAL: '3' },
        names: ['LEASE_ACQUIRE_INTERVAL=3', 'LEASE_DURATION=4'],
      },
      { name: 'LEASE_TABLE on the local platform', env: { LEASE_TABLE: 'fleet-manager-lease' }, names: ['LEASE_TABLE', 'LOCAL_STATE_DIR'] },
      {
        name: 'PLATFORM=ecs without SERVER_TASK_DEFINITION',
        env: { PLATFORM: 'ecs', ECS_INSTANCE_LAUNCH_TEMPLATE: 'defaultECS' },
        names: ['SERVER_TASK_DEFINITION', 'PLATFORM=ecs'],
      },
      {
        name: 'PLATFORM=ecs on Fargate without subnets',
        env: { PLATFORM: 'ecs', SERVER_TASK_DEFINITION: 'LaunchGameserver', ECS_LAUNCH_TYPE: 'FARGATE' },
        names: ['ECS_SUBNETS', 'ECS_LAUNCH_TYPE=FARGATE'],
      },
      {
        name: 'PLATFORM=ecs with the EC2 launch type and no launch template',
        env: { PLATFORM: 'ecs', SERVER_TASK_DEFINITION: 'LaunchGameserver' },
        names: ['ECS_INSTANCE_LAUNCH_TEMPLATE', 'ECS_LAUNCH_TYPE=EC2'],
      },
    ])('refuses $name, naming the variables', ({ env, names }) => {
      const lines = refusal(env).message.split('\n');

      expect(lines).toHaveLength(1);
      for (const name of names) expect(lines[0]).toContain(name);
    });

    it('accepts DOWNSCALE_MARGIN - UPSCALE_MARGIN one more than SERVER_CAPACITY', () => {
      expect(validateSettings({ UPSCALE_MARGIN: '4', DOWNSCALE_MARGIN: '15', SERVER_CAPACITY: '10' })).toMatchObject({
        UPSCALE_MARGIN: 4,
        DOWNSCALE_MARGIN: 15,
        SERVER_CAPACITY: 10,
      });
    });

    it('reports every broken rule, one line each', () => {
      const error = refusal({ DOWNSCALE_MARGIN: '10', MIN_SERVERS: '3', MAX_SERVERS: '2', PLATFORM: 'ecs' });

      expect(error.problems).toHaveLength(4);
      expect(error.message.split('\n')).toEqual([
        expect.stringContaining('DOWNSCALE_MARGIN=10'),
        expect.stringContaining('MIN_SERVERS=3'),
        expect.stringContaining('SERVER_TASK_DEFINITION'),
        expect.stringContaining('ECS_INSTANCE_LAUNCH_TEMPLATE'),
      ]);
    });
  });
});
