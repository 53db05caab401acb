/**
 * The layers of src/, lowest first. A folder may import only itself and the folders before it, so
 * that a reader can tell which layer stands on which; type-only imports count too. The files at
 * the root of src/ (main, app.module, http-app, openapi) wire everything and nothing imports them.
 * Checked by `npm test` (test/architecture/layers.spec.ts).
 */
const LAYERS = [
  'config', // settings, read once
  'domain', // the shared vocabulary: server states, actions, snapshots, platform records, allocation outcomes
  'concurrency', // the one worker pool
  'http', // security headers, connection limits and request headers read (Bearer credentials) of the HTTP server
  'lifecycle', // shutdown, and the acting fence every change passes
  'logging',
  'metrics',
  'aws', // the SDK clients, fenced
  'leadership', // the leader lease
  'platform', // the port, and the local and ECS platforms
  'fleet', // registry, prober, discovery
  'scaling', // the pure policy, the reconciler, the loop
  'simulation', // drives the same pure policy offline; the operator's what-if runs it too
  'allocation', // the game clients' API
  'health',
  'operator',
  'dashboard', // the operator's page: files over the operator API
  'players', // the player load tool
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other, even by types only, cannot be read or tested one at a time.',
      from: {},
      to: { circular: true },
    },
    ...LAYERS.map((folder, index) => ({
      name: `layer-${folder}`,
      severity: 'error',
      comment: `src/${folder} may import only ${LAYERS.slice(0, index).join(', ') || 'nothing else in src'}.`,
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: `^src/(${LAYERS.slice(0, index + 1).join('|')})/` },
    })),
    {
      name: 'unknown-folder',
      severity: 'error',
      comment: `Every folder of src/ has a place in the layers of .dependency-cruiser.cjs.`,
      from: { path: '^src/', pathNot: `^src/((${LAYERS.join('|')})/|[^/]+$)` },
      to: {},
    },
    {
      name: 'root-is-top',
      severity: 'error',
      comment: 'The files at the root of src/ wire the application; no layer imports them.',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/[^/]+$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
