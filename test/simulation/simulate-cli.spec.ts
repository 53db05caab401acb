import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { plotSvg } from '../../src/simulation/plot';
import { simulate, ECS_EC2_BOOT } from '../../src/simulation/simulation';
import { managerSettings } from '../../src/simulation/simulation-settings';
import { loadTrace } from '../../src/simulation/trace-files';

/** `npm test` builds first, so this is the CLI as `npm run simulate` runs it. */
const CLI = join(__dirname, '..', '..', 'dist', 'simulation', 'simulate-cli.js');

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run simulate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simulate-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reports one run and writes its plot', async () => {
    const plot = join(dir, 'spike.svg');
    const { code, stdout } = await cli('spike', '--seed', '3', '--plot', plot);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^trace\s+spike \(4\.0 h simulated, seed 3\)$/m);
    expect(stdout).toMatch(/^failed allocations\s+\d+/m);
    expect(stdout).toMatch(/^idle capacity\s+[\d.]+ place-hours/m);
    const svg = await readFile(plot, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  it('prints the same JSON report for the same seed', async () => {
    const first = await cli('steady-ramp', '--json', '--seed', '5', '--set', 'UPSCALE_MARGIN=6', '--set', 'DOWNSCALE_MARGIN=20');
    const again = await cli('steady-ramp', '--json', '--seed', '5', '--set', 'UPSCALE_MARGIN=6', '--set', 'DOWNSCALE_MARGIN=20');
    expect(first.code).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(JSON.parse(first.stdout)).toMatchObject({ trace: 'steady-ramp', policy: 'current', marginMode: 'fixed', seed: 5 });
  });

  it('says which margin the policy was given', async () => {
    const fixed = await cli('spike', '--seed', '1');
    const adaptive = await cli('spike', '--seed', '1', '--set', 'MARGIN_MODE=adaptive');
    expect(fixed.stdout).toMatch(/^policy\s+current, MARGIN_MODE=fixed$/m);
    expect(adaptive.stdout).toMatch(/^policy\s+current, MARGIN_MODE=adaptive$/m);
  });

  it('compares configurations side by side, the current policy and the earlier manager’s included', async () => {
    const { code, stdout } = await cli('--compare', 'spike', '--config', 'wide: UPSCALE_MARGIN=20,DOWNSCALE_MARGIN=35', '--markdown');
    expect(code).toBe(0);
    const rows = stdout.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| configuration') && !line.startsWith('| ---'));
    expect(rows.map((row) => row.split('|')[1].trim())).toEqual(['current', 'legacy (earlier manager)', 'wide']);
  });

  it('adds up several seeds, and finds the cheapest fixed margins that fail no more players than a configuration', async () => {
    const { code, stdout } = await cli('--compare', 'spike', '--seeds', '1-2', '--current-vs-legacy', '--config', 'adaptive: MARGIN_MODE=adaptive', '--cheapest-fixed', 'adaptive', '--json');
    expect(code).toBe(0);
    const [{ rows }] = JSON.parse(stdout) as { rows: { label: string; report: { players: number; failedAllocations: number; serverHours: number; boundServerHours: number } }[] }[];
    expect(rows.map((row) => row.label.replace(/\d+\/\d+$/, 'U/D'))).toEqual(['current', 'legacy (earlier manager)', 'adaptive', 'cheapest fixed for "adaptive": U/D']);
    // Two seeds of spike: 654 players each.
    expect(rows[0].report.players).toBe(2 * 654);
    expect(rows[3].report.failedAllocations).toBeLessThanOrEqual(rows[2].report.failedAllocations);
    for (const { report } of rows) expect(report.boundServerHours).toBe(rows[0].report.boundServerHours);
  });

  it('reads a CSV trace of the user’s', async () => {
    const csv = join(dir, 'mine.csv');
    await writeFile(csv, 'minute,arrivals\n0,3\n10,4\n');
    const { code, stdout } = await cli(csv, '--session-minutes', '5', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ trace: 'mine', players: 7 });
  });

  it.each([
    [['spike', '--set', 'DOWNSCALE_MARGIN=14'], /Invalid settings: DOWNSCALE_MARGIN=14 must exceed UPSCALE_MARGIN=4 by more than SERVER_CAPACITY=10/],
    [['spike', '--set', 'PORT=1'], /PORT does not change a simulation/],
    [['no-such-trace'], /no-such-trace: cannot read it \(ENOENT\); bundled traces: daily-cycle, noisy-evening, slow-drain, spike, steady-ramp, week-with-release/],
    [['spike', '--boot', '180-60'], /--boot takes seconds as MIN-MAX/],
    [['spike', '--policy', 'magic'], /--policy must be one of: current, legacy/],
    [['spike', '--seeds', '1-5'], /--seeds adds up runs of a comparison: use it with --compare/],
    [['--compare', 'spike', '--seeds', '5-1'], /--seeds takes a range of at most 100 seeds such as 1-5, got "5-1"/],
    [['--compare', 'spike', '--cheapest-fixed', 'nobody'], /--cheapest-fixed: no configuration is labelled "nobody"/],
  ])('refuses %j with one clear line', async (args, message) => {
    const { code, stderr } = await cli(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});

describe('the plot', () => {
  it('draws players, capacity, free places, the margin and servers on one time axis', () => {
    const { settings, sleepTimeSeconds } = managerSettings({});
    const result = simulate(loadTrace('spike'), { settings, sleepTimeSeconds, boot: ECS_EC2_BOOT, seed: 1 });
    const svg = plotSvg(result.timeline, { title: 'spike <test>', subtitle: ['line one', 'line two'], upscaleMargin: 4 });
    // Players, capacity, free places, the margin, servers, and the servers of the clairvoyant bound.
    expect(svg.match(/<polyline /g)).toHaveLength(6);
    expect(svg).toContain('spike &lt;test&gt;');
    for (const label of ['players (demand)', 'capacity (places up)', 'free places (ready)', 'upscale margin (4)', 'servers (all)', 'launching', 'draining', 'clairvoyant bound']) {
      expect(svg).toContain(`>${label}</text>`);
    }
    expect(svg).toContain(`failed allocations (${result.report.failedAllocations})`);
    expect(svg).not.toMatch(/NaN|undefined|<script/);
  });
});
