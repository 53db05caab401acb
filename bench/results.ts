import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';

/** A goal on the value itself (`p99 <= 5 ms`) or on its ratio to the baseline (`>= 0.75 of bare`). */
export interface Goal {
  readonly on: 'value' | 'ratio';
  readonly op: '<=' | '>=';
  readonly limit: number;
}

export interface Row {
  readonly figure: string;
  readonly unit: string;
  readonly value: number;
  readonly baseline?: number;
  readonly ratio?: number;
  readonly goal?: string;
  readonly met?: boolean;
  readonly note?: string;
}

export function row(figure: string, unit: string, value: number, baseline?: number, goal?: Goal, note?: string): Row {
  const ratio = baseline === undefined || baseline === 0 ? undefined : value / baseline;
  let met: boolean | undefined;
  if (goal) {
    const measured = goal.on === 'value' ? value : ratio;
    met = measured !== undefined && (goal.op === '<=' ? measured <= goal.limit : measured >= goal.limit);
  }
  const goalText = goal && (goal.on === 'value' ? `${goal.op} ${goal.limit} ${unit}` : `ratio ${goal.op} ${goal.limit}`);
  return { figure, unit, value, baseline, ratio, goal: goalText, met, note };
}

/** A figure that could not be measured in this run: shown, with why, and counted as a goal not met. */
export function failedRow(figure: string, goal: string | undefined, reason: string): Row {
  return { figure, unit: '', value: NaN, goal, met: goal ? false : undefined, note: `not measured: ${reason}` };
}

function format(value: number | undefined, unit = ''): string {
  if (value === undefined) return '';
  if (Number.isNaN(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export interface Machine {
  readonly node: string;
  readonly cpus: string;
  readonly cores: number;
  /** 1-minute load average at the start and at the end of the run. */
  readonly loadBefore: number;
  loadAfter?: number;
}

export function machine(): Machine {
  return { node: process.version, cpus: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadBefore: loadavg()[0] };
}

export function printTable(rows: readonly Row[], about: Machine): void {
  const header = ['figure', 'value', 'baseline', 'ratio', 'goal', 'met?'];
  const cells = rows.map((r) => [
    r.figure,
    format(r.value, r.unit),
    format(r.baseline, r.unit),
    r.ratio === undefined ? '' : r.ratio.toFixed(2),
    r.goal ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((text, i) => (i === 0 ? text.padEnd(widths[i]) : text.padStart(widths[i]))).join('  ');
  console.log(`fleet-manager bench: Node ${about.node}, ${about.cores} x ${about.cpus}, load average ${about.loadBefore.toFixed(2)} at start, ${about.loadAfter?.toFixed(2)} at end`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
  for (const r of rows.filter((r) => r.note)) console.log(`  ${r.figure}: ${r.note}`);
}

export async function writeJson(path: string, rows: readonly Row[], about: Machine): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const at = new Date().toISOString();
  await writeFile(path, `${JSON.stringify({ at, machine: about, rows }, (_key, value) => (Number.isNaN(value) ? null : value), 2)}\n`);
}
