import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

/** Runs dependency-cruiser over src/ with the repository's rules; the violations it prints, one per line. */
function cruise(...extra: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [CLI, '--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...extra, 'src'], { cwd: ROOT, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('the layers of src/ (.dependency-cruiser.cjs)', () => {
  it('has no module that imports one of a layer above it, and no cycle', () => {
    const { status, output } = cruise();
    expect(output).not.toMatch(/error /);
    expect(status).toBe(0);
  });
});
