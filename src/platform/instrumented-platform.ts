import { Logger } from '@nestjs/common';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { GameServerPlatform, LaunchRequest, PlatformListing, PlatformServer, ServerRef, UnadoptedServer } from './game-server-platform';

/** Wraps the chosen platform so that every call is counted, and every failure counted and logged with its operation. */
export class InstrumentedPlatform implements GameServerPlatform {
  private readonly logger = new Logger('Platform');

  constructor(
    private readonly inner: GameServerPlatform,
    private readonly metrics: FleetMetrics,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  discover(): Promise<PlatformServer[]> {
    return this.call('discover', () => this.inner.discover());
  }

  resync(): Promise<PlatformListing> {
    return this.call('resync', () => this.inner.resync());
  }

  unadopted(): readonly UnadoptedServer[] {
    return this.inner.unadopted();
  }

  launch(request: LaunchRequest): Promise<PlatformServer> {
    return this.call('launch', () => this.inner.launch(request));
  }

  stop(server: ServerRef): Promise<void> {
    return this.call('stop', () => this.inner.stop(server));
  }

  setDraining(server: ServerRef, since: number | undefined): Promise<void> {
    return this.call('setDraining', () => this.inner.setDraining(server, since));
  }

  ping(): Promise<void> {
    return this.call('ping', () => this.inner.ping());
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.metrics.platformCalled(operation, false);
      return result;
    } catch (error) {
      this.metrics.platformCalled(operation, true);
      this.logger.error({ operation, platform: this.inner.name, err: error }, `platform call ${operation} failed`);
      throw error;
    }
  }
}
