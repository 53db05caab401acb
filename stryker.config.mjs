/**
 * `npm run mutate`: mutation testing (StrykerJS) of the code where a wrong line costs players or
 * money: the policy and its adaptive margin and schedule, the 7-day demand record, the registry, the places each client
 * holds and the clients still waiting, the prober and its health report's parsing, the reconciler, the settings (also those
 * changed at run time), the platforms' decisions (the ECS game port, the drain time), the
 * lease decision, and the public endpoint's defences (the client's key and limits, tickets, the
 * headers read, the connections held). Not part of `npm test`: it runs the unit tests of that
 * code once per mutant.
 * Its score and the surviving mutants are in docs/mutation-testing.md.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  // As `npm test` runs jest (see jest.config.js).
  testRunnerNodeArgs: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // The unit tests of the mutated code; the end-to-end tests would take minutes per mutant.
    config: { testRegex: 'test/(scaling|fleet|config|allocation|http|leadership/lease-decision|platform/(game-endpoint|draining-since))[^/]*(/[^/]+)?\\.spec\\.ts$' },
    enableFindRelatedTests: false,
  },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/scaling/margin-policy.ts',
    'src/scaling/margin-estimator.ts',
    'src/scaling/demand-history.ts',
    'src/scaling/demand-record.ts',
    'src/scaling/scheduled-floor.ts',
    'src/scaling/policy-tuning.ts',
    'src/config/capacity-schedule.ts',
    'src/fleet/fleet.registry.ts',
    'src/fleet/client-holds.ts',
    'src/fleet/waiting-clients.ts',
    'src/fleet/health-report.ts',
    'src/fleet/health-probe-client.ts',
    'src/fleet/health-prober.ts',
    'src/scaling/reconciler.service.ts',
    'src/config/settings.ts',
    'src/config/validate-settings.ts',
    'src/platform/ecs/game-endpoint.ts',
    'src/platform/draining-since.ts',
    'src/leadership/lease-decision.ts',
    'src/allocation/client-key-of.ts',
    'src/allocation/client-limits.ts',
    'src/allocation/client-ticket.ts',
    'src/allocation/retry-after.ts',
    'src/http/bearer-credentials.ts',
    'src/http/header-value.ts',
    'src/http/http-limits.ts',
  ],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: 2,
  timeoutMS: 15000,
  tempDirName: '.stryker-tmp',
  // dist/ is copied: the prober's thread runs its compiled script (src/fleet/health-prober.ts).
  ignorePatterns: ['dist-bench', 'bench-results', '.fleet-state', 'reports', 'docs', 'traces'],
};
