import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { allocationFigures } from './allocation-figures';
import { awsFigures } from './aws-figures';
import { stopAll } from './children';
import { passFigures } from './pass-figures';
import { machine, printTable, Row, writeJson } from './results';

const RESULTS = join(__dirname, '..', '..', 'bench-results');
/** Seconds of one turn of the manager or bare node:http under allocation load (see AllocationOptions.rounds). */
const TURN_S = 1;

const USAGE = `npm run bench [-- options]
  --only=allocation|passes|aws  one group of figures
  --duration=10              seconds of load on each allocation target (after 2 s of warm-up),
                             in turns of one second, the manager's and bare node:http's
  --allocation-sizes=10,1000 fleet sizes for allocation
  --sizes=10,100,1000,10000  fleet sizes for reconcile passes
  --aws-sizes=10,100,1000,10000  ECS tasks to rebuild at start-up
  --passes=5                 timed passes per size (after one warm-up pass)
  --main=dist/main.js        the manager entry point to load (another adapter's variant)
  --cpu-prof                 write a CPU profile of the manager's timed passes per size to bench-results/profiles/`;

function numbers(text: string): number[] {
  const list = text.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`not a list of whole numbers: ${text}\n${USAGE}`);
  return list;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      duration: { type: 'string', default: '10' },
      'allocation-sizes': { type: 'string', default: '10,1000' },
      sizes: { type: 'string', default: '10,100,1000,10000' },
      'aws-sizes': { type: 'string', default: '10,100,1000,10000' },
      passes: { type: 'string', default: '5' },
      main: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const all = ['allocation', 'passes', 'aws'];
  if (values.only && !all.includes(values.only)) throw new Error(`--only takes one of ${all.join(', ')}\n${USAGE}`);
  const groups = values.only ? [values.only] : all;
  const about = machine();
  const rows: Row[] = [];
  if (groups.includes('allocation')) {
    const durationS = numbers(values.duration)[0];
    const options = { connections: 50, durationS, warmupS: 2, rounds: Math.max(1, Math.round(durationS / TURN_S)), main: values.main && resolve(values.main) };
    rows.push(...(await allocationFigures(numbers(values['allocation-sizes']), options)));
  }
  if (groups.includes('passes')) {
    rows.push(
      ...(await passFigures(numbers(values.sizes), {
        concurrency: Number(process.env.PROBE_CONCURRENCY ?? 64),
        warmups: 1,
        passes: numbers(values.passes)[0],
        cpuProfileDir: values['cpu-prof'] ? join(RESULTS, 'profiles') : undefined,
      })),
    );
  }
  if (groups.includes('aws')) rows.push(...(await awsFigures(numbers(values['aws-sizes']))));
  about.loadAfter = loadavg()[0];
  printTable(rows, about);
  await writeJson(join(RESULTS, 'latest.json'), rows, about);
  console.log(`written to ${join(RESULTS, 'latest.json')}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
