// The operator's page: reads the operator API with the operator's token, and nothing else.
//
// It polls rather than listens to server-sent events: a browser's EventSource cannot send an
// Authorization header, so the token would have to travel in the URL, where proxies and access
// logs keep it. A poll every POLL_MS costs the manager two small JSON answers.

const TOKEN_KEY = 'fleet-manager.admin-token';
const POLL_MS = 2000;
const HISTORY_POLL_MS = 10_000;
const HISTORY_HOURS = 6;
const STATES = ['launching', 'ready', 'draining', 'unhealthy', 'stopping'];

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Nest's error bodies carry `message` as text or as a list of problems. */
function messageOf(body) {
  const message = body?.message ?? body?.error;
  return Array.isArray(message) ? message.join('; ') : message;
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) throw new ApiError(response.status, messageOf(data) ?? `${response.status} ${response.statusText}`);
  return data;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.filter((child) => child !== undefined));
  return node;
}

function say(text, isError = false) {
  const message = $('message');
  message.textContent = text;
  message.classList.toggle('error', isError);
  message.hidden = !text;
}

function show(view) {
  for (const id of ['off', 'login', 'fleet']) $(id).hidden = id !== view;
  $('toolbar').hidden = view !== 'fleet';
}

const duration = (seconds) => {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
};
const clock = (at) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const figure = (value, digits = 0) => (value === undefined || value === null ? '–' : Number(value).toLocaleString(undefined, { maximumFractionDigits: digits }));

// ---------------------------------------------------------------------------------------------
// The fleet: totals, servers and their actions

const serverRows = new Map();
let lastFleet;

function renderTotals(fleet) {
  const { serversByState, freeCapacity } = fleet.totals;
  const m = fleet.margins;
  const players = fleet.servers.reduce((sum, server) => sum + playersOn(server, m.serverCapacity), 0);
  const adaptive = m.effectiveUpscaleMargin !== m.upscaleMargin || m.effectiveDownscaleMargin !== m.downscaleMargin;
  const cards = [
    ['Players', figure(players), 'on servers that are up'],
    ['Free places', figure(freeCapacity), `margin ${m.effectiveUpscaleMargin}–${m.effectiveDownscaleMargin}${adaptive ? ` (set ${m.upscaleMargin}–${m.downscaleMargin})` : ''}, ${m.mode}`],
    ...STATES.map((state) => [state[0].toUpperCase() + state.slice(1), figure(serversByState[state]), state === 'ready' ? `of ${m.minServers}–${m.maxServers} servers` : 'servers']),
  ];
  $('totals').replaceChildren(
    ...cards.map(([label, value, note]) => element('div', { class: 'card', 'data-card': label }, element('div', { class: 'label', text: label }), element('div', { class: 'value', text: value }), element('div', { class: 'label', text: note }))),
  );
}

/** Players a server has: its capacity less what it reports free; a launching server has none yet. */
function playersOn(server, capacity) {
  return server.state === 'launching' ? 0 : Math.max(0, capacity - server.reportedCapacity);
}

function actionsOf(server) {
  const buttons = [];
  if (server.state === 'ready') buttons.push(['Drain', () => act(server.id, 'drain', `Drain ${server.id}? It takes no new players and stops once empty.`)]);
  if (server.state === 'draining') buttons.push(['Undrain', () => act(server.id, 'undrain')]);
  if (server.state !== 'stopping') buttons.push(['Stop', () => stop(server.id)]);
  return buttons.map(([label, onClick]) => {
    const button = element('button', { type: 'button', 'data-action': label.toLowerCase(), text: label });
    button.addEventListener('click', onClick);
    return button;
  });
}

function renderServers(fleet) {
  const tbody = $('servers').tBodies[0];
  const seen = new Set();
  const capacity = fleet.margins.serverCapacity;
  for (const server of fleet.servers) {
    seen.add(server.id);
    let row = serverRows.get(server.id);
    if (!row) {
      row = element('tr', { 'data-server': server.id });
      serverRows.set(server.id, row);
    }
    const players = playersOn(server, capacity);
    const share = (n) => `${Math.min(100, (100 * n) / capacity)}%`;
    const bar = element('span', { class: 'bar', title: `${players} players, ${server.reserved} reserved, of ${capacity}` }, element('span', { class: 'taken' }), element('span', { class: 'reserved' }));
    bar.children[0].style.width = share(players);
    bar.children[1].style.width = share(server.reserved);
    // Rebuilt only when something shown changed: a row rebuilt under the pointer would swallow a click.
    const key = JSON.stringify([server.state, server.address, players, server.reserved, server.consecutiveFailures, Math.floor(server.ageSeconds / 10)]);
    if (row.dataset.key === key) continue;
    row.dataset.key = key;
    row.replaceChildren(
      element('td', { text: server.id }),
      element('td', {}, element('span', { class: `state state-${server.state}`, 'data-state': server.state, text: server.state })),
      element('td', { text: server.address ?? '–' }),
      element('td', {}, bar, element('span', { text: `${players}/${capacity}` })),
      element('td', { class: 'number', text: figure(server.reserved) }),
      element('td', { class: 'number', text: duration(server.ageSeconds) }),
      element('td', { class: 'number', text: figure(server.consecutiveFailures) }),
      element('td', {}, ...actionsOf(server)),
    );
  }
  for (const [id, row] of serverRows) {
    if (!seen.has(id)) {
      row.remove();
      serverRows.delete(id);
    }
  }
  // Sorted by id, so rows do not jump about as states change.
  for (const id of [...seen].sort()) tbody.append(serverRows.get(id));
  $('no-servers').hidden = fleet.servers.length > 0;
}

async function act(id, action, question) {
  if (question && !confirm(question)) return;
  try {
    const result = await api('POST', `/fleet/servers/${encodeURIComponent(id)}/${action}`);
    say(`${action} ${id}: now ${result.state}`);
    await refresh();
  } catch (error) {
    say(`${action} ${id}: ${error.message}`, true);
  }
}

async function stop(id) {
  if (!confirm(`Stop ${id}? A server with players is refused unless you force it.`)) return;
  try {
    const result = await api('POST', `/fleet/servers/${encodeURIComponent(id)}/stop`);
    say(`stop ${id}: now ${result.state}`);
  } catch (error) {
    if (error.status !== 409) return say(`stop ${id}: ${error.message}`, true);
    // 409: it has players (or places handed out), or it is stopping already. Forcing cuts the players off.
    const force = confirm(`The manager refused: ${error.message}.\n\nForce the stop? Players on ${id} lose their game.`);
    if (!force) return say(`stop ${id} not done: ${error.message}`);
    try {
      const result = await api('POST', `/fleet/servers/${encodeURIComponent(id)}/stop?force=true`);
      say(`stop ${id} (forced): now ${result.state}`);
    } catch (forced) {
      return say(`stop ${id}: ${forced.message}`, true);
    }
  }
  await refresh();
}

// ---------------------------------------------------------------------------------------------
// Decisions

function describeAction(action) {
  if (action.kind === 'launch') return `launch ${action.count} (${action.reason})`;
  return `${action.kind} ${action.serverId} (${action.reason})`;
}

function renderDecisions(decisions) {
  const items = [...decisions].reverse().map((record) => {
    const { decision, margins } = record;
    const what = [
      ...decision.actions.map(describeAction),
      decision.heldBack ? `held back: ${decision.heldBack.detail}` : undefined,
      decision.probeOutage ? 'probe outage: nothing stopped' : undefined,
      ...(record.settingsChanged ?? []).map((change) => `settings: ${Object.entries(change.changes).map(([name, { from, to }]) => `${name} ${from} → ${to}`).join(', ')}`),
      ...(record.operatorActions ?? []).map(({ action }) => `operator: ${describeAction(action)}`),
    ].filter(Boolean);
    const why = `free ${decision.freeCapacityBefore} against margins ${margins.upscaleMargin}–${margins.downscaleMargin} (${margins.mode}), ${record.unmetDemand} turned away`;
    return element(
      'li',
      {},
      element('span', { class: 'when', text: clock(record.at) }),
      element('span', { text: what.join('; ') || 'no action' }),
      record.repeats > 0 ? element('span', { class: 'muted', text: ` ×${record.repeats + 1}, last ${clock(record.lastAt)}` }) : undefined,
      element('span', { class: 'why', text: why }),
    );
  });
  $('decisions').replaceChildren(...items);
  $('no-decisions').hidden = items.length > 0;
}

// ---------------------------------------------------------------------------------------------
// Charts (uPlot)

const COLORS = { players: '#2f6fdd', capacity: '#1d2330', free: '#2e7d32', margin: '#b26a00', downscale: '#c9a25a', failed: '#b3261e', candidate: '#8e44ad' };

/** The last hours' charts show at least this span, so that a young manager's few points do not stretch over years. */
const LEAST_SPAN_S = 15 * 60;
// From the data itself: with a single point uPlot offers a range of days after it.
const recentSpan = (chart) => {
  const xs = chart.data?.[0] ?? [];
  const last = xs.length > 0 ? xs[xs.length - 1] : Date.now() / 1000;
  return [Math.min(xs.length > 0 ? xs[0] : last, last - LEAST_SPAN_S), last];
};

/** A uPlot chart that follows its container's width, so the page works in a narrow window. */
function chartIn(container, title, series, { height = 220, xRange } = {}) {
  const width = () => Math.max(280, container.clientWidth);
  const chart = new uPlot({ title, width: width(), height, series: [{}, ...series], axes: [{}, { size: 50 }], scales: { x: { time: true, range: xRange } } }, [[], ...series.map(() => [])], container);
  new ResizeObserver(() => chart.setSize({ width: width(), height })).observe(container);
  return chart;
}

const line = (label, stroke, extra = {}) => ({ label, stroke, width: 1.5, ...extra });
const stepped = (label, stroke, extra = {}) => line(label, stroke, { paths: uPlot.paths.stepped({ align: 1 }), ...extra });
const bars = (label, fill) => ({ label, stroke: fill, fill, paths: uPlot.paths.bars({ size: [0.8, 8] }), points: { show: false } });

let placesChart;
let serversChart;
let history = [];

function renderHistory() {
  placesChart ??= chartIn($('places-chart'), 'Places', [
    line('players', COLORS.players),
    stepped('capacity up', COLORS.capacity),
    line('free', COLORS.free),
    stepped('upscale margin', COLORS.margin, { dash: [6, 4] }),
    stepped('downscale margin', COLORS.downscale),
  ], { xRange: recentSpan });
  serversChart ??= chartIn($('servers-chart'), 'Servers', [
    ...STATES.map((state) => stepped(state, getComputedStyle(document.documentElement).getPropertyValue(`--${state}`).trim())),
    bars('launches', '#9db8ee'),
    bars('players turned away', COLORS.failed),
  ], { xRange: recentSpan });
  const x = history.map((point) => point.at / 1000);
  placesChart.setData([x, ...['players', 'capacityUp', 'free', 'upscaleMargin', 'downscaleMargin'].map((key) => history.map((point) => point[key]))]);
  serversChart.setData([
    x,
    ...STATES.map((state) => history.map((point) => point.serversByState[state])),
    history.map((point) => point.launches),
    history.map((point) => point.turnedAway),
  ]);
}

async function refreshHistory() {
  const since = history.length > 0 ? history[history.length - 1].at : 0;
  const { points } = await api('GET', `/fleet/history?since=${since}`);
  // The newest step may have grown since the last poll: it comes again, and replaces ours.
  history = [...history.filter((point) => point.at < since && point.at >= Date.now() - HISTORY_HOURS * 3_600_000), ...points];
  renderHistory();
}

// ---------------------------------------------------------------------------------------------
// What-if

const WHAT_IF_ROWS = [
  ['Players turned away', (f) => f.failedAllocations, 'lower'],
  ['Players arriving', (f) => f.players],
  ['Server-hours', (f) => f.serverHours, 'lower', 2],
  ['Least possible server-hours', (f) => f.boundServerHours, undefined, 2],
  ['Unused place-hours', (f) => f.unusedPlaceHours, 'lower', 2],
  ['Idle place-hours (above its own margin)', (f) => f.idlePlaceHours, 'lower', 2],
  ['Launches', (f) => f.launches],
  ['Most servers at once', (f) => f.peakServers],
];
let whatIfChart;

async function fillWhatIf() {
  const form = $('what-if-form');
  if (form.dataset.filled) return;
  const { settings } = await api('GET', '/fleet/settings');
  for (const [name, value] of Object.entries(settings)) if (form.elements[name]) form.elements[name].value = value;
  form.elements.SERVER_CAPACITY.value = lastFleet.margins.serverCapacity;
  form.elements.bootSeconds.value = Math.max(1, Math.round((lastFleet.margins.estimate?.bootMs ?? 60_000) / 1000));
  form.elements.hours.value = 24;
  form.dataset.filled = 'yes';
}

async function runWhatIf(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector('button');
  const values = Object.fromEntries(new FormData(form));
  const { bootSeconds, hours, ...settings } = values;
  $('what-if-error').hidden = true;
  button.disabled = true;
  button.textContent = 'Running…';
  try {
    const result = await api('POST', '/fleet/what-if', { settings, bootSeconds: Number(bootSeconds), hours: Number(hours) });
    renderWhatIf(result);
  } catch (error) {
    $('what-if-error').textContent = error.message;
    $('what-if-error').hidden = false;
  } finally {
    button.disabled = false;
    button.textContent = 'Run what-if';
  }
}

function renderWhatIf(result) {
  $('what-if-result').hidden = false;
  $('what-if-span').textContent = `Demand recorded from ${new Date(result.from).toLocaleString()} to ${new Date(result.to).toLocaleString()}, every launch ready after ${result.bootSeconds} s.`;
  const rows = WHAT_IF_ROWS.map(([label, read, better, digits]) => {
    const now = read(result.current.figures);
    const then = read(result.candidate.figures);
    const change = then - now;
    const verdict = !better || change === 0 ? '' : (change < 0) === (better === 'lower') ? 'better' : 'worse';
    return element(
      'tr',
      { 'data-row': label },
      element('th', { text: label }),
      element('td', { class: 'number', text: figure(now, digits) }),
      element('td', { class: 'number', text: figure(then, digits) }),
      element('td', { class: `number ${verdict}`, text: change === 0 ? '=' : `${change > 0 ? '+' : ''}${figure(change, digits)}` }),
    );
  });
  $('what-if-table').tBodies[0].replaceChildren(...rows);
  whatIfChart ??= chartIn($('what-if-chart'), 'What if: places', [
    line('players', COLORS.players),
    stepped('places, current', COLORS.capacity),
    stepped('places, candidate', COLORS.candidate),
    bars('turned away, current', COLORS.failed),
    bars('turned away, candidate', '#e39a96'),
  ]);
  const { current, candidate } = result;
  whatIfChart.setData([
    current.timeline.map((point) => point.at / 1000),
    current.timeline.map((point) => point.players),
    current.timeline.map((point) => point.places),
    candidate.timeline.map((point) => point.places),
    current.timeline.map((point) => point.failed),
    candidate.timeline.map((point) => point.failed),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Polling, signing in and out

let timers = [];

async function refresh() {
  const [fleet, { decisions }] = await Promise.all([api('GET', '/fleet'), api('GET', '/fleet/decisions')]);
  lastFleet = fleet;
  const role = fleet.manager.role === 'leader' ? 'leader' : `standby${fleet.manager.leader ? `, leader ${fleet.manager.leader}` : ''}`;
  $('manager').textContent = `${fleet.platform} platform · ${role} · ${fleet.manager.id}`;
  renderTotals(fleet);
  renderServers(fleet);
  renderDecisions(decisions);
  $('updated').textContent = `updated ${clock(Date.now())}`;
}

/** Runs `task` now and then every `ms`, sending the operator back to the token on 401 or 403. */
function every(ms, task) {
  const run = () =>
    task().catch((error) => {
      if (error.status === 401 || error.status === 403) return signIn(error.status === 403 ? 'That token is not the manager\'s ADMIN_TOKEN.' : '');
      say(`Cannot reach the manager: ${error.message}`, true);
    });
  timers.push(setInterval(run, ms));
  return run();
}

function stopPolling() {
  for (const timer of timers) clearInterval(timer);
  timers = [];
}

async function openFleet() {
  show('fleet');
  say('');
  await every(POLL_MS, refresh);
  await every(HISTORY_POLL_MS, refreshHistory);
  await fillWhatIf().catch((error) => say(`What-if: ${error.message}`, true));
}

function signIn(problem) {
  stopPolling();
  sessionStorage.removeItem(TOKEN_KEY);
  show('login');
  $('login-error').textContent = problem;
  $('login-error').hidden = !problem;
  $('token').focus();
}

async function start() {
  const { operatorApi } = await (await fetch('/dashboard/config.json')).json();
  if (!operatorApi) return show('off');
  if (!sessionStorage.getItem(TOKEN_KEY)) return signIn('');
  try {
    // Checked once before polling: a wrong token goes back to the form with its reason.
    await api('GET', '/fleet/settings');
  } catch (error) {
    return signIn(error.status === 403 ? 'That token is not the manager\'s ADMIN_TOKEN.' : error.message);
  }
  await openFleet();
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value);
  $('token').value = '';
  void start();
});
$('sign-out').addEventListener('click', () => signIn(''));
$('reconcile').addEventListener('click', async () => {
  try {
    const { lastDecision } = await api('POST', '/fleet/reconcile');
    say(lastDecision ? `Pass ran. Last decision: ${lastDecision.decision.actions.map(describeAction).join('; ') || lastDecision.decision.heldBack?.detail || 'no action'}` : 'Pass ran; no decision that did something yet.');
    await refresh();
  } catch (error) {
    say(`Reconcile: ${error.message}`, true);
  }
});
$('what-if-form').addEventListener('submit', runWhatIf);

void start();
