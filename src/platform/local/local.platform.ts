import { Injectable, Logger } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { access, constants, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SECRET_SETTINGS, Settings } from '../../config/settings';
import { ActingFence } from '../../lifecycle/acting-fence';
import { drainingSinceOf } from '../draining-since';
import { GameServerPlatform, LaunchRequest, PlatformListing, PlatformServer, ServerRef, UnadoptedServer } from '../game-server-platform';
import { LocalServerRecord } from './local-server-record';
import { freeLoopbackPort, isSameProcessAlive, pidsWithEnvironment, processStartTime, signalGroup } from './local-process';
import { LocalStateStore } from './local-state-store';

/** src/platform/local and dist/platform/local are both three levels below the repository root. */
const SAMPLE_GAME_SERVER = resolve(__dirname, '..', '..', '..', 'sample-game-server', 'server.js');
const STOP_GRACE_MS = 5000;
/** Given to each game server, so that one started by a manager that crashed before recording its pid can be found. */
const SERVER_ID_VARIABLE = 'FLEET_MANAGER_SERVER_ID';

/**
 * The manager's own variables that a game server must not inherit: secrets, and HOST, the
 * manager's bind address (the sample server would listen on it instead of loopback).
 */
const MANAGER_ONLY_VARIABLES = ['HOST', ...SECRET_SETTINGS, 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

/**
 * Runs each game server as a process on a free loopback port. Processes are detached, so they keep
 * serving their players when the manager stops or crashes; the state directory is how the next
 * manager finds them again.
 */
@Injectable()
export class LocalPlatform implements GameServerPlatform {
  readonly name = 'local';
  private readonly logger = new Logger(LocalPlatform.name);
  private readonly store: LocalStateStore;
  private readonly command: string;
  private readonly launchTimeoutMs: number;
  /**
   * Ports given to launches, and when. A port is free when the kernel names it, but a game server
   * binds it only once it has started: meanwhile the kernel may name it to another launch, and two
   * servers would share one address, the one that could not bind it answered for by the other.
   */
  private readonly portsGiven = new Map<number, number>();

  constructor(
    settings: Settings,
    private readonly fence: ActingFence,
  ) {
    this.store = new LocalStateStore(resolve(settings.LOCAL_STATE_DIR));
    this.command = settings.LOCAL_GAMESERVER_COMMAND ?? `'${process.execPath}' '${SAMPLE_GAME_SERVER}'`;
    this.launchTimeoutMs = settings.LAUNCH_TIMEOUT * 1000;
  }

  async discover(): Promise<PlatformServer[]> {
    await this.store.ensure();
    const { records, unreadable, unread } = await this.store.list();
    // A fleet rebuilt without a server that runs would launch beside it: the rebuild is tried again instead.
    if (unread.length > 0) throw new Error(`state file(s) ${unread.join(', ')} in ${this.store.directory} could not be read`);
    for (const name of unreadable) this.logger.warn(`ignoring unreadable state file ${name} in ${this.store.directory}`);
    const found: PlatformServer[] = [];
    // A standby only looks: a record without a pid may be the leader's launch in flight.
    const acting = this.fence.mayAct();
    for (const record of records) {
      if (record.pid === 0) {
        if (acting) await this.fence.guard('end an unfinished launch', () => this.endUnfinishedLaunch(record));
      } else if (await isSameProcessAlive(record.pid, record.processStartTime)) {
        found.push(this.toPlatformServer(record));
      } else if (acting) {
        this.logger.warn(`game server ${record.id} (pid ${record.pid}) is gone; forgetting it`);
        await this.fence.guard('forget a server', () => this.store.remove(record.id));
      }
    }
    return found;
  }

  /**
   * The servers whose processes run now. A record still being written by a launch (pid 0) is no
   * server yet and is left alone; the record of a process that is gone is removed. While a record
   * cannot be read, the listing is incomplete: no server counts as gone.
   */
  async resync(): Promise<PlatformListing> {
    const { records, unread } = await this.store.list();
    const servers: PlatformServer[] = [];
    for (const record of records.filter((r) => r.pid !== 0)) {
      if (await isSameProcessAlive(record.pid, record.processStartTime)) servers.push(this.toPlatformServer(record));
      else if (this.fence.mayAct()) await this.fence.guard('forget a server', () => this.store.remove(record.id));
    }
    if (unread.length > 0) {
      this.logger.warn(`state file(s) ${unread.join(', ')} in ${this.store.directory} could not be read; no server counts as gone until they can`);
      return { servers };
    }
    return { servers, running: new Set(servers.map((server) => server.id)) };
  }

  /** Every live process it recorded has an address: nothing goes unadopted here. */
  unadopted(): readonly UnadoptedServer[] {
    return [];
  }

  launch(request: LaunchRequest): Promise<PlatformServer> {
    return this.fence.guard('launch', () => this.start(request));
  }

  private async start(request: LaunchRequest): Promise<PlatformServer> {
    await this.store.ensure();
    const port = await this.portNotGivenYet();
    const starting: LocalServerRecord = {
      id: request.id,
      pid: 0,
      port,
      capacity: request.capacity,
      command: this.command,
      startedAt: new Date().toISOString(),
      draining: false,
    };
    // Recorded before the process exists, so that a crash right after the spawn leaves a trace to clean up.
    await this.store.write(starting);
    const log = await open(this.store.logPath(request.id), 'a');
    try {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PORT: String(port),
        CAPACITY: String(request.capacity),
        [SERVER_ID_VARIABLE]: request.id,
      };
      for (const name of MANAGER_ONLY_VARIABLES) delete env[name];
      // Checked again at the last moment: a manager that stalled since the launch began may have lost the lease.
      this.fence.check('launch');
      // exec keeps the recorded pid that of the game server itself; through env, a command may start
      // with its own variables (`FOO=bar node server.js`), which a bare `exec FOO=bar ...` would run as a program.
      const child = spawn('/bin/sh', ['-c', `exec env ${this.command}`], {
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
        env,
      });
      const pid = await new Promise<number>((resolveSpawn, rejectSpawn) => {
        child.once('error', rejectSpawn);
        child.once('spawn', () => resolveSpawn(child.pid as number));
      });
      child.once('exit', (code, signal) =>
        this.logger.log(`game server ${request.id} (pid ${pid}) exited with ${signal ?? `code ${code}`}`),
      );
      child.unref();
      const record: LocalServerRecord = { ...starting, pid, processStartTime: await processStartTime(pid) };
      await this.store.write(record);
      return this.toPlatformServer(record);
    } catch (error) {
      await this.store.remove(request.id);
      throw error;
    } finally {
      await log.close();
    }
  }

  /** A free port no launch was given within LAUNCH_TIMEOUT (by then its server has bound it, or failed). */
  private async portNotGivenYet(): Promise<number> {
    const now = Date.now();
    for (const [port, givenAt] of this.portsGiven) if (now - givenAt > this.launchTimeoutMs) this.portsGiven.delete(port);
    for (let tries = 1; ; tries++) {
      const port = await freeLoopbackPort();
      if (!this.portsGiven.has(port)) {
        this.portsGiven.set(port, now);
        return port;
      }
      if (tries === 10) throw new Error(`the kernel named ${tries} free ports that launches were given already`);
    }
  }

  stop(server: ServerRef): Promise<void> {
    return this.fence.guard('stop', async () => {
      const record = await this.store.read(server.id);
      if (record && (await isSameProcessAlive(record.pid, record.processStartTime))) {
        signalGroup(record.pid, 'SIGTERM');
        const deadline = Date.now() + STOP_GRACE_MS;
        while (Date.now() < deadline && (await isSameProcessAlive(record.pid, record.processStartTime))) await sleep(50);
        if (await isSameProcessAlive(record.pid, record.processStartTime)) {
          this.logger.warn(`game server ${server.id} (pid ${record.pid}) ignored SIGTERM for ${STOP_GRACE_MS} ms; killing it`);
          this.fence.check('kill');
          signalGroup(record.pid, 'SIGKILL');
        }
      }
      await this.store.remove(server.id);
    });
  }

  setDraining(server: ServerRef, since: number | undefined): Promise<void> {
    return this.fence.guard('setDraining', async () => {
      const record = await this.store.read(server.id);
      if (!record) throw new Error(`no state file for game server ${server.id}`);
      const drainingSince = since === undefined ? undefined : new Date(since).toISOString();
      await this.store.write({ ...record, draining: since !== undefined, drainingSince });
    });
  }

  async ping(): Promise<void> {
    await access(this.store.directory, constants.W_OK);
  }

  /** A launch cut short by a crash: its process may run, unrecorded; end it and forget the launch. */
  private async endUnfinishedLaunch(record: LocalServerRecord): Promise<void> {
    for (const pid of await pidsWithEnvironment(SERVER_ID_VARIABLE, record.id)) {
      this.logger.warn(`ending game server ${record.id} (pid ${pid}), started by a manager that stopped before recording it`);
      this.fence.check('kill');
      signalGroup(pid, 'SIGKILL');
    }
    await this.store.remove(record.id);
  }

  private toPlatformServer(record: LocalServerRecord): PlatformServer {
    const address = `127.0.0.1:${record.port}`;
    return {
      id: record.id,
      address,
      probeAddress: address,
      drainingSince: record.draining ? drainingSinceOf(record.drainingSince, Date.now()) : undefined,
      // The command is the version: a server started with another LOCAL_GAMESERVER_COMMAND is rolled out.
      version: record.command,
      outdated: versionOf(record.command) !== versionOf(this.command),
      platformIds: { pid: String(record.pid), port: String(record.port) },
    };
  }
}

/**
 * What a command runs, for rollouts: the bundled sample game server is one version whatever Node
 * binary runs it, so that upgrading Node or moving the installation rolls nothing out.
 */
function versionOf(command: string): string {
  const runsSampleAsIs = command.startsWith("'") && command.endsWith(`' '${SAMPLE_GAME_SERVER}'`) && !command.slice(1, -SAMPLE_GAME_SERVER.length - 4).includes("'");
  return runsSampleAsIs ? 'sample-game-server' : command;
}
