import { validateSettings } from '../../src/config/validate-settings';
it('probe', () => {
  const out: string[] = [];
  for (const env of [{PORT: undefined}, {UPSCALE_MARGIN: '0x4'}, {SLEEP_TIME: '1e0'}, { PORT: 'abc' }, { PORT: '0' }, { PORT: ' ' }, { PORT: '70000' }, { PORT: '3.5' }, {HOST: ' '}, {ADMIN_TOKEN: 'short'}, {ADMIN_TOKEN: '0123456789abcdef'}, {BACKUP_GAMESERVER: 'x'}, {BACKUP_GAMESERVER: 'host:'}, {BACKUP_GAMESERVER: 'host:99999'}, {BACKUP_GAMESERVER: '[::1]:8888'}, {BACKUP_GAMESERVER: 'http://a:1'}, {SLEEP_TIME: '-1'}, {SLEEP_TIME: 'Infinity'}, {PLATFORM: 'aws'}, {PLATFORM: 'ECS'}, {UPSCALE_MARGIN: '5'}, {MIN_SERVERS: '5', MAX_SERVERS: '4'}, {PLATFORM: 'ecs'}, {PORT: 'x', PLATFORM: 'y'}, {ECS_CLUSTER: '  '}, {LAUNCH_BACKOFF_BASE: '400'}, {UPSCALE_MARGIN: '-1'}, {RESERVATION_TIMEOUT: '0'}, {ECS_LAUNCH_TYPE: 'fargate'}, {UPSCALE_MARGIN: '5', DOWNSCALE_MARGIN: '10', MIN_SERVERS:'3', MAX_SERVERS: '2', PLATFORM: 'ecs'}] as Record<string, string|undefined>[]) {
    try { const s = validateSettings(env); out.push('ACCEPTED ' + JSON.stringify(env) + ' ' + JSON.stringify(s)); } catch (e) { out.push(JSON.stringify(env) + ' -> ' + (e as Error).name + ' ' + (e as Error).message); }
  }
  console.log(out.join('\n'));
});
