import { parser } from '@prometheus-io/lezer-promql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Settings } from '../../src/config/settings';
import { FleetMetrics } from '../../src/metrics/fleet-metrics';

const MONITORING = join(__dirname, '..', '..', 'monitoring');

/** Every series name the manager exports, histograms' _bucket, _sum and _count included. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = await new FleetMetrics(new Settings()).registry.getMetricsAsJSON();
  return new Set(metrics.flatMap(({ name, type }) => (String(type) === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name])));
}

/** The PromQL of `expr` as the Prometheus project's own grammar reads it: its syntax errors, and the metrics it names. */
function read(expr: string): { errors: string[]; metrics: string[] } {
  const errors: string[] = [];
  const metrics: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 10), node.to + 10))}`);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') metrics.push(expr.slice(node.from, node.to));
    },
  });
  return { errors, metrics };
}

interface Dashboard {
  title: string;
  uid: string;
  panels: { id: number; title: string; type: string; gridPos: { w: number; h: number }; targets: { expr: string; refId: string }[] }[];
}

interface AlertRules {
  groups: { name: string; rules: { alert: string; expr: string; for?: string; labels: { severity: string }; annotations: { summary: string; description: string } }[] }[];
}

describe('monitoring/: the Grafana dashboard and the Prometheus alert rules', () => {
  let exported: Set<string>;
  const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as Dashboard;
  const rules = parseYaml(readFileSync(join(MONITORING, 'prometheus-alerts.yml'), 'utf8')) as AlertRules;
  const panelQueries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ where: `${panel.title} ${target.refId}`, expr: target.expr })));
  const ruleQueries = rules.groups.flatMap((group) => group.rules.map((rule) => ({ where: rule.alert, expr: rule.expr })));

  beforeAll(async () => {
    exported = await exportedNames();
  });

  it('the grammar tells a broken query from a good one, and finds the metrics a query names', () => {
    expect(read('rate(fleet_manager_allocations_total[5m]').errors).not.toEqual([]);
    expect(read('sum by (le) (rate(fleet_manager_launch_ready_seconds_bucket[5m])) and on (instance) fleet_manager_leader == 1')).toEqual({
      errors: [],
      metrics: ['fleet_manager_launch_ready_seconds_bucket', 'fleet_manager_leader'],
    });
  });

  it('the dashboard is a Grafana dashboard with panels, each with at least one query, on a 24-column grid', () => {
    expect(dashboard).toMatchObject({ title: 'fleet-manager', uid: 'fleet-manager' });
    expect(dashboard.panels.length).toBeGreaterThan(10);
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) {
      expect(panel.targets.length).toBeGreaterThan(0);
      expect(panel.gridPos.w).toBeLessThanOrEqual(24);
    }
  });

  it('every alert has a severity, a summary and a description', () => {
    expect(ruleQueries.length).toBeGreaterThan(5);
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      expect(['warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary).toEqual(expect.any(String));
      expect(rule.annotations.description).toEqual(expect.any(String));
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
    }
  });

  it.each([...panelQueries, ...ruleQueries].map(({ where, expr }) => [where, expr]))('%s: parses, and names only metrics the manager exports', (_where, expr) => {
    const { errors, metrics } = read(expr);
    expect(errors).toEqual([]);
    // `up` is Prometheus' own, for every target it scrapes.
    expect(metrics.filter((name) => name !== 'up' && !exported.has(name))).toEqual([]);
    expect(metrics.length).toBeGreaterThan(0);
  });

  it('the metrics the dashboard and the alerts are for exist: launch to ready, players turned away, places reserved, AWS latency by operation', () => {
    const used = new Set([...panelQueries, ...ruleQueries].flatMap(({ expr }) => read(expr).metrics));
    for (const name of ['fleet_manager_launch_ready_seconds_bucket', 'fleet_manager_allocations_total', 'fleet_manager_reserved_places', 'fleet_manager_aws_call_duration_seconds_bucket', 'fleet_manager_max_servers']) {
      expect(used).toContain(name);
    }
  });
});
