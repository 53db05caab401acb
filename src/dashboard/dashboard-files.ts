import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Settings } from '../config/settings';

/** The page's own files, in web/ at the root of the package (two folders up from src/ and dist/ alike). */
const WEB_DIR = join(__dirname, '..', '..', 'web');

/** One file the page needs, held in memory: a few hundred KB in all, read once. */
export interface DashboardFile {
  readonly type: string;
  readonly body: Buffer;
}

const file = (path: string, type: string): DashboardFile => ({ type, body: readFileSync(path) });

/**
 * Every file of the operator's page by the name it is asked by, and nothing else: a name not
 * listed is a 404, so no request can reach a file by path. uPlot comes from its npm package,
 * so the page works offline and needs no CDN.
 */
export function dashboardFiles(settings: Settings): ReadonlyMap<string, DashboardFile> {
  // Whether to ask for the token or say how to turn the operator API on: no secret, the API's own 404 or 401 tells as much.
  const config = { operatorApi: settings.ADMIN_TOKEN !== undefined };
  return new Map([
    ['config.json', { type: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify(config)) }],
    ['', file(join(WEB_DIR, 'dashboard.html'), 'text/html; charset=utf-8')],
    ['dashboard.js', file(join(WEB_DIR, 'dashboard.js'), 'text/javascript; charset=utf-8')],
    ['dashboard.css', file(join(WEB_DIR, 'dashboard.css'), 'text/css; charset=utf-8')],
    ['uplot.js', file(require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8')],
    ['uplot.css', file(require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8')],
  ]);
}
