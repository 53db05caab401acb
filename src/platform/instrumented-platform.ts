import { Logger } from '@nestjs/common';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { GameServerPlatform, LaunchRequest, PlatformListing, PlatformServer, ServerRef, UnadoptedServer } from './game-server-platform';
import { messageOf } from '../domain/error-message';

/**
 * Wraps the chosen platform so that every call is counted, and every failure counted and logged
 * with its operation, the server it was for and its cause: the reconciler undoes what a failed
 * call meant (a stop, a drain) and tries again on a later pass, so an operator whose request was
 * accepted (202) learns only here why the server is back as it was.
 */
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
    return this.call('launch', () => this.inner.launch(request), request.id);
  }

  stop(server: ServerRef): Promise<void> {
    return this.call('stop', () => this.inner.stop(server), server.id);
  }

  setDraining(server: ServerRef, since: number | undefined): Promise<void> {
    return this.call('setDraining', () => this.inner.setDraining(server, since), server.id);
  }

  ping(): Promise<void> {
    return this.call('ping', () => this.inner.ping());
  }

  private async call<T>(operation: string, run: () => Promise<T>, serverId?: string): Promise<T> {
    try {
      const result = await run();
      this.metrics.platformCalled(operation, false);
      return result;
    } catch (error) {
      this.metrics.platformCalled(operation, true);
      const target = serverId === undefined ? '' : ` for server ${serverId}`;
      this.logger.error({ operation, platform: this.inner.name, serverId, err: error }, `platform call ${operation}${target} failed: ${messageOf(error)}`);
      throw error;
    }
  }
}
