import { PlatformName, EcsLaunchType } from '../config/settings';

/** How many recent launches the boot time is read from: enough for a 90th percentile, recent enough to follow a change. */
export const LAUNCH_TIMES_KEPT = 20;

/**
 * The boot time to count on before any launch has been measured. Local processes answer within a
 * second or two. On ECS with EC2 an instance boots, its agent registers and the image is pulled:
 * minutes. Fargate provisions and pulls in about a minute.
 */
export function bootPriorMs(platform: PlatformName, launchType: EcsLaunchType): number {
  if (platform === 'local') return 5_000;
  return launchType === 'FARGATE' ? 60_000 : 180_000;
}

/** The times recent launches took from the launch to their first healthy probe; the oldest go first. */
export class LaunchTimes {
  private readonly times: number[] = [];

  record(ms: number): void {
    this.times.push(ms);
    if (this.times.length > LAUNCH_TIMES_KEPT) this.times.shift();
  }

  recent(): readonly number[] {
    return this.times;
  }
}
