import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { InvalidTraceError, parseCsvTrace, parseJsonTrace, SessionLength, Trace } from './trace';

/** traces/ at the repository root, seen from src/simulation (tests) and dist/simulation (the CLI) alike. */
export const BUNDLED_TRACES_DIR = resolve(__dirname, '..', '..', 'traces');

export function bundledTraceNames(): string[] {
  return readdirSync(BUNDLED_TRACES_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => basename(file, '.json'))
    .sort();
}

/** A file path, or the name of a bundled trace ("spike" for traces/spike.json). */
export function loadTrace(pathOrName: string, csvSession?: SessionLength): Trace {
  const bundled = join(BUNDLED_TRACES_DIR, `${pathOrName}.json`);
  const path = !existsSync(pathOrName) && /^[\w-]+$/.test(pathOrName) && existsSync(bundled) ? bundled : pathOrName;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const names = bundledTraceNames().join(', ');
    throw new InvalidTraceError(pathOrName, `cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)}); bundled traces: ${names}`);
  }
  const name = basename(path, extname(path));
  return extname(path).toLowerCase() === '.csv' ? parseCsvTrace(text, name, csvSession) : parseJsonTrace(text, name);
}
