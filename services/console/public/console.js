import uPlot from '/vendor/uPlot.esm.js';

const $ = (id) => document.getElementById(id);
function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** JSON from the console's API; a problem+json answer becomes an Error with its detail. */
async function api(path) {
  let response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' } });
  } catch (error) {
    throw new Error(`the console does not answer (${error.message})`, { cause: error });
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.detail ?? body.title ?? `HTTP ${response.status}`), { status: response.status, body });
  return body;
}

// No red: a red outline marks a span with error status.
const COLORS = ['#2563eb', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#0f766e'];
const serviceColor = new Map();
const colorOf = (service) => {
  if (!serviceColor.has(service)) serviceColor.set(service, COLORS[serviceColor.size % COLORS.length]);
  return serviceColor.get(service);
};

const duration = (us) => (us >= 1e6 ? `${(us / 1e6).toFixed(2)} s` : us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us} µs`);

// --- Trace waterfall ---------------------------------------------------------------------------

function drawWaterfall(trace) {
  const box = $('waterfall');
  box.replaceChildren();
  box.dataset.traceId = trace.traceId;
  box.dataset.services = trace.services.join(',');
  box.dataset.spans = String(trace.spans.length);
  $('trace-status').className = '';
  $('trace-status').textContent = `Trace ${trace.traceId}: ${trace.spans.length} spans across ${trace.services.join(', ')}, ${duration(trace.durationUs)}, started ${trace.startedAt}. Click a span for its attributes and events.`;
  const total = Math.max(trace.durationUs, 1);
  for (const span of trace.spans) {
    const row = el('div', { className: 'span-row' });
    row.dataset.service = span.service;
    const label = el('div', { className: 'span-label', title: `${span.service}: ${span.name}` }, el('span', { className: 'span-service', textContent: span.service }), span.name);
    label.style.paddingLeft = `${span.depth * 0.8}rem`;
    const bar = el('div', { className: `span-bar${span.error ? ' error' : ''}` });
    bar.style.left = `${(span.offsetUs / total) * 100}%`;
    bar.style.width = `${(span.durationUs / total) * 100}%`;
    bar.style.background = colorOf(span.service);
    const time = el('span', { className: 'span-time', textContent: duration(span.durationUs) });
    const end = ((span.offsetUs + span.durationUs) / total) * 100;
    // Beside the bar, or inside its right end when the bar reaches the edge.
    if (end > 88) Object.assign(time.style, { right: `${100 - end}%`, color: '#fff', paddingRight: '0.3rem' });
    else time.style.left = `${end}%`;
    row.append(label, el('div', { className: 'span-track' }, bar, time));
    row.addEventListener('click', () => {
      for (const other of box.querySelectorAll('.selected')) other.classList.remove('selected');
      row.classList.add('selected');
      showSpan(span);
    });
    box.append(row);
  }
}

function table(record) {
  const rows = Object.entries(record).map(([key, value]) => el('tr', {}, el('td', { textContent: key }), el('td', { textContent: String(value) })));
  return el('table', {}, ...rows);
}

function showSpan(span) {
  const detail = $('span-detail');
  detail.replaceChildren(
    el('h3', { textContent: `${span.service}: ${span.name}` }),
    el('p', { textContent: `${span.kind ?? 'span'} ${span.spanId}, ${duration(span.durationUs)} at +${duration(span.offsetUs)}${span.error ? ', error status' : ''}` }),
    table(span.attributes),
    ...span.events.map((event) => el('div', {}, el('h4', { textContent: `event ${event.name} at +${duration(event.offsetUs)}` }), table(event.attributes))),
  );
}

function traceProblem(message) {
  $('waterfall').replaceChildren();
  $('waterfall').removeAttribute('data-services');
  $('span-detail').replaceChildren();
  $('trace-status').className = 'error';
  $('trace-status').textContent = message;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let traceRequest = 0;

/**
 * Shows a trace by id or by order id. Spans reach Jaeger a few seconds after the request, service by
 * service, so an order's trace is fetched again until it stops growing.
 */
async function showTrace({ trace, order }) {
  const mine = ++traceRequest;
  const path = trace ? `/api/traces/${encodeURIComponent(trace)}` : `/api/orders/${encodeURIComponent(order)}/trace`;
  $('trace-status').className = '';
  $('trace-status').textContent = trace ? `Looking up trace ${trace}…` : `Looking up the trace of order ${order}…`;
  let last = -1;
  let stable = 0;
  for (let attempt = 0; attempt < 15 && mine === traceRequest; attempt++) {
    try {
      const result = await api(path);
      if (mine !== traceRequest) return;
      drawWaterfall(result);
      stable = result.spans.length === last ? stable + 1 : 0;
      last = result.spans.length;
      if (stable >= 2) return;
    } catch (error) {
      if (mine !== traceRequest) return;
      // 400: the id is malformed, 502/504: Jaeger is unreachable; neither gets better by waiting.
      if (error.status !== 404 || (trace && attempt >= 2)) {
        traceProblem(error.status === 400 ? `Not a trace id: ${error.body?.errors?.[0]?.message ?? error.message}` : error.message);
        return;
      }
      if (last < 0) $('trace-status').textContent = `${error.message} Trying again…`;
    }
    await sleep(1500);
  }
  if (last < 0 && mine === traceRequest) traceProblem(trace ? `Jaeger has no trace ${trace}.` : `Jaeger has no trace of order ${order} yet.`);
}

function fromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const trace = params.get('trace');
  const order = params.get('order');
  if (trace !== null) {
    $('trace-input').value = trace;
    void showTrace({ trace });
  } else if (order !== null) void showTrace({ order });
}

$('trace-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('trace-input').value.trim();
  if (value === '') {
    traceProblem('Enter a trace id: 32 hexadecimal digits.');
    return;
  }
  location.hash = `trace=${encodeURIComponent(value)}`;
});
window.addEventListener('hashchange', fromHash);

// --- Dashboards --------------------------------------------------------------------------------

const UNITS = {
  bytes: (v) => {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
  },
  percentunit: (v) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`,
  s: (v) => (Math.abs(v) < 1 ? `${(v * 1000).toFixed(v < 0.01 ? 1 : 0)} ms` : `${v.toFixed(1)} s`),
  reqps: (v) => `${v.toFixed(v < 10 ? 1 : 0)}/s`,
  ops: (v) => `${v.toFixed(v < 10 ? 1 : 0)}/s`,
  short: (v) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : `${+v.toFixed(2)}`),
};

let dashboards = [];
let current;
let refresh;

function drawPanel(box, panel, data) {
  const chart = box.querySelector('.chart');
  chart.replaceChildren();
  if (data.series.length === 0) {
    box.dataset.state = 'empty';
    chart.append(el('p', { className: 'empty', textContent: 'No data in the last 15 minutes.' }));
    return;
  }
  box.dataset.state = 'data';
  box.dataset.series = String(data.series.length);
  const xs = [];
  for (let t = data.start; t <= data.end; t += data.step) xs.push(t);
  const index = new Map(xs.map((t, i) => [t, i]));
  const ys = data.series.map((one) => {
    const column = new Array(xs.length).fill(null);
    for (const [t, v] of one.points) if (index.has(t) && Number.isFinite(v)) column[index.get(t)] = v;
    return column;
  });
  const format = UNITS[panel.unit] ?? UNITS.short;
  new uPlot(
    {
      width: Math.max(chart.clientWidth, 300),
      height: 200,
      series: [{}, ...data.series.map((one, i) => ({ label: one.name, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false, value: (_u, v) => (v == null ? '–' : format(v)) }))],
      axes: [{}, { values: (_u, ticks) => ticks.map(format), size: 70 }],
      legend: { live: true },
    },
    [xs, ...ys],
    chart,
  );
}

async function loadPanel(box, dashboard, panel) {
  try {
    drawPanel(box, panel, await api(`/api/dashboards/${encodeURIComponent(dashboard.uid)}/panels/${panel.id}`));
  } catch (error) {
    box.dataset.state = 'error';
    box.querySelector('.chart').replaceChildren(el('p', { className: 'error', textContent: `Could not query Prometheus: ${error.message}` }));
  }
}

function showDashboard(dashboard) {
  current = dashboard;
  for (const button of $('dashboard-tabs').children) button.setAttribute('aria-pressed', String(button.dataset.uid === dashboard.uid));
  const boxes = dashboard.panels.map((panel) => {
    const box = el('article', { className: 'panel', title: panel.description ?? '' }, el('div', { className: 'row', textContent: panel.row ?? '' }), el('h3', { textContent: panel.title }), el('div', { className: 'chart' }));
    box.dataset.state = 'loading';
    box.dataset.panel = String(panel.id);
    return box;
  });
  $('panels').replaceChildren(...boxes);
  $('panels').dataset.dashboard = dashboard.uid;
  $('dashboard-status').textContent = `${dashboard.title}: the last 15 minutes, refreshed every 15 s.`;
  const load = () => Promise.all(dashboard.panels.map((panel, i) => loadPanel(boxes[i], dashboard, panel)));
  void load();
  clearInterval(refresh);
  refresh = setInterval(() => current === dashboard && void load(), 15_000);
}

async function loadDashboards() {
  try {
    const body = await api('/api/dashboards');
    dashboards = body.dashboards;
    const links = [];
    if (body.links.jaegerUi) links.push(el('a', { href: body.links.jaegerUi, textContent: 'Jaeger UI' }));
    if (body.links.grafana) links.push(el('a', { href: body.links.grafana, textContent: 'Grafana' }));
    $('links').replaceChildren(...links);
    $('dashboard-tabs').replaceChildren(
      ...dashboards.map((dashboard) => {
        const button = el('button', { type: 'button', textContent: dashboard.title });
        button.dataset.uid = dashboard.uid;
        button.addEventListener('click', () => showDashboard(dashboard));
        return button;
      }),
    );
    const wanted = new URLSearchParams(location.search).get('dashboard');
    showDashboard(dashboards.find((one) => one.uid === wanted) ?? dashboards[0]);
  } catch (error) {
    $('dashboard-status').className = 'error';
    $('dashboard-status').textContent = `Could not load the dashboards: ${error.message}`;
  }
}

fromHash();
void loadDashboards();
