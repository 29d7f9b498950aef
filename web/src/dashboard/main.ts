/**
 * The store manager's dashboard (`/dashboard`, a second entry of the web build): with the API key of
 * the scanner's settings, a store of the key (`GET /me`), a date range, the aisles by gap rate with
 * sparklines, the chosen aisle's count and gaps over time (uPlot), a compare view of two of its audits
 * (rows, gaps, the photos with their boxes when kept), and CSV downloads of both views.
 * `main[data-state]` says what is shown: loading, no-key, error, empty or ready.
 */
import type { AisleHistory, HistoryPoint, StoreSummary } from '@shelfwatch/shared';
import '../styles.css';
import './dashboard.css';
import type uPlot from 'uplot';
import { checkKey } from '../api/me.ts';
import { compareShelves } from '../history/compare.ts';
import { loadSettings } from '../settings.ts';
import { openShelfWatchDb } from '../storage/db.ts';
import { plural, signed } from '../ui/format.ts';
import { type AuditDetail, type Box, DashboardApi, DashboardError, historyPath, summaryPath } from './api.ts';
import { historyChart, sparkline } from './charts.ts';
import {
  aisleNote,
  auditOption,
  compareNote,
  compareRows,
  dayRange,
  defaultDays,
  gapCount,
  perDay,
  perRow,
  when,
} from './model.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const main = $<HTMLElement>('main');
const form = $<HTMLFormElement>('filters');
const storeSelect = $<HTMLSelectElement>('store');
const storeAny = $<HTMLInputElement>('store-any');
const sinceInput = $<HTMLInputElement>('since');
const untilInput = $<HTMLInputElement>('until');
const status = $<HTMLParagraphElement>('status');
const problem = $<HTMLDivElement>('problem');
const aislesSection = $<HTMLElement>('aisles-section');
const aisleSection = $<HTMLElement>('aisle-section');
const tbody = $<HTMLTableElement>('aisles').tBodies[0]!;
const pointsBody = $<HTMLTableElement>('points').tBodies[0]!;
const chartEl = $<HTMLDivElement>('chart');
const compareForm = $<HTMLFormElement>('compare-form');
const compareA = $<HTMLSelectElement>('compare-a');
const compareB = $<HTMLSelectElement>('compare-b');
const compareEl = $<HTMLDivElement>('compare');
const compareNoteEl = $<HTMLParagraphElement>('compare-note');

type State = 'loading' | 'no-key' | 'error' | 'empty' | 'ready';

const view: {
  api?: DashboardApi;
  storeId: string;
  range?: { since: string; until: string };
  summary?: StoreSummary;
  history?: AisleHistory;
  aisle?: string;
  chart?: uPlot;
  sparks: uPlot[];
  photoUrls: string[];
  retry: () => void;
  /** Bumped by every load: an answer to an older one (another store, range or aisle) is dropped. */
  seq: number;
} = { storeId: '', sparks: [], photoUrls: [], retry: () => location.reload(), seq: 0 };

function setState(state: State, message: string) {
  main.dataset.state = state;
  status.textContent = message;
}

function showProblem(err: unknown, retry: () => void) {
  const e =
    err instanceof DashboardError ? err : new DashboardError('INTERNAL', 'Something went wrong. Try again.');
  $<HTMLParagraphElement>('problem-text').textContent = e.message;
  $<HTMLAnchorElement>('problem-settings').hidden = e.status !== 401 && e.code !== 'NO_API_KEY';
  // Without a key the server takes, trying again or other dates cannot help: Settings can.
  const keyProblem = e.code === 'NO_API_KEY' || e.status === 401;
  $<HTMLButtonElement>('problem-retry').hidden = keyProblem;
  form.hidden = keyProblem;
  problem.hidden = false;
  problem.dataset.code = e.code;
  view.retry = retry;
  setState(
    e.code === 'NO_API_KEY' ? 'no-key' : 'error',
    e.code === 'NO_API_KEY' ? 'No API key yet.' : 'Not loaded.',
  );
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function currentStore(): string {
  return (storeAny.hidden ? storeSelect.value : storeAny.value).trim();
}

/** Loads the summary of the form's store and range; then the worst aisle (or the one shown before). */
async function showSummary() {
  problem.hidden = true;
  const seq = ++view.seq;
  const range = dayRange(sinceInput.value, untilInput.value);
  const storeId = currentStore();
  if (!storeId) {
    showProblem(new DashboardError('NO_STORE', 'Type a store id, then choose Show.'), () => storeAny.focus());
    return;
  }
  if (!range.ok) {
    aislesSection.hidden = true;
    aisleSection.hidden = true;
    showProblem(new DashboardError('BAD_RANGE', range.error), () => sinceInput.focus());
    return;
  }
  view.storeId = storeId;
  view.range = { since: range.since, until: range.until };
  setState('loading', `Loading store ${storeId}…`);
  const params = new URLSearchParams({ store: storeId, from: sinceInput.value, to: untilInput.value });
  window.history.replaceState(null, '', `?${params}`);
  let summary: StoreSummary;
  try {
    summary = await view.api!.summary(storeId, view.range);
  } catch (err) {
    if (seq !== view.seq) return;
    aislesSection.hidden = true;
    aisleSection.hidden = true;
    showProblem(err, () => void showSummary());
    return;
  }
  if (seq !== view.seq) return;
  view.summary = summary;
  renderSummary(view.summary);
  if (view.summary.aisles.length === 0) {
    aisleSection.hidden = true;
    setState(
      'empty',
      `No audits of store ${storeId} from ${sinceInput.value} to ${untilInput.value}. Choose an earlier From date, or audit aisles with the scanner.`,
    );
    return;
  }
  const line = `Store ${storeId}: ${plural(view.summary.aisles.length, 'aisle')} audited from ${sinceInput.value} to ${untilInput.value}.`;
  $<HTMLParagraphElement>('summary-line').textContent = line;
  setState('ready', line);
  const keep = view.summary.aisles.find((a) => a.aisle === view.aisle)?.aisle;
  await showAisle(keep ?? view.summary.aisles[0]!.aisle, false);
}

function renderSummary(summary: StoreSummary) {
  for (const s of view.sparks) s.destroy();
  view.sparks = [];
  tbody.replaceChildren();
  aislesSection.hidden = summary.aisles.length === 0;
  const boxes: [HTMLElement, (number | null)[]][] = [];
  for (const a of summary.aisles) {
    const tr = el('tr');
    tr.dataset.aisle = a.aisle;
    tr.dataset.gapRate = a.gapRate === null ? '' : String(a.gapRate);
    const th = el('th');
    th.scope = 'row';
    const pick = el('button', a.aisle, 'aisle-pick');
    pick.type = 'button';
    pick.setAttribute('aria-pressed', 'false');
    pick.setAttribute('aria-label', `Aisle ${a.aisle}: show over time`);
    pick.addEventListener('click', () => void showAisle(a.aisle, true));
    th.append(pick);
    const spark = el('td');
    const box = el('div', undefined, 'spark');
    box.setAttribute('role', 'img');
    const seen = a.spark.filter((v): v is number => v !== null);
    box.setAttribute(
      'aria-label',
      seen.length
        ? `Gaps per row over the range: from ${perRow(Math.min(...seen))} to ${perRow(Math.max(...seen))}, last ${perRow(seen[seen.length - 1]!)}`
        : 'No shelf rows seen over the range',
    );
    spark.append(box);
    boxes.push([box, a.spark]);
    tr.append(
      th,
      el('td', perRow(a.gapRate), 'num rate'),
      spark,
      el('td', String(a.audits), 'num'),
      el('td', String(a.last.count), 'num'),
      el('td', String(a.last.gaps), 'num wide-only'),
      el('td', a.meanCount.toFixed(1), 'num wide-only'),
      el('td', perDay(a.trend.countPerDay), 'num wide-only'),
    );
    tbody.append(tr);
  }
  void drawSparklines(boxes);
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The sparklines, a few per task (one long task for 20 charts delayed the page's first input). */
async function drawSparklines(boxes: [HTMLElement, (number | null)[]][]) {
  for (let i = 0; i < boxes.length; i += 4) {
    await nextTask();
    // A newer summary replaced these rows: its own call draws its sparklines.
    if (!boxes[i]![0].isConnected) return;
    for (const [box, values] of boxes.slice(i, i + 4)) view.sparks.push(sparkline(box, values));
  }
}

/** The aisle's time series, its table, and the compare view of its last two audits. */
async function showAisle(aisle: string, focus: boolean) {
  problem.hidden = true;
  const seq = ++view.seq;
  view.aisle = aisle;
  for (const b of tbody.querySelectorAll<HTMLButtonElement>('.aisle-pick'))
    b.setAttribute('aria-pressed', String(b.textContent === aisle));
  const title = $<HTMLHeadingElement>('aisle-title');
  title.textContent = `Aisle ${aisle}`;
  aisleSection.hidden = false;
  aisleSection.dataset.aisle = aisle;
  status.textContent = `Loading aisle ${aisle}…`;
  let history: AisleHistory;
  try {
    history = await view.api!.history(view.storeId, aisle, view.range!);
  } catch (err) {
    if (seq === view.seq) showProblem(err, () => void showAisle(aisle, focus));
    return;
  }
  if (seq !== view.seq) return;
  view.history = history;
  if (focus) title.focus();
  renderHistory(view.history);
  status.textContent = `Aisle ${aisle}: ${plural(view.history.points.length, 'audit')}.`;
  if (view.history.points.length >= 2) await showCompare();
  else compareEl.hidden = true;
}

function renderHistory(h: AisleHistory) {
  view.chart?.destroy();
  chartEl.replaceChildren();
  view.chart = historyChart(chartEl, h.points);
  $<HTMLParagraphElement>('aisle-note').textContent = aisleNote(h.points, h.truncated);
  pointsBody.replaceChildren(
    ...[...h.points].reverse().map((p) => {
      const tr = el('tr');
      tr.append(
        el('td', when(p.createdAt)),
        el('td', String(p.count), 'num'),
        el('td', String(p.rows), 'num'),
        el('td', String(p.gaps), 'num'),
        el('td', p.photo ? 'kept' : '–'),
      );
      return tr;
    }),
  );
  const years = new Set(h.points.map((p) => new Date(p.createdAt).getFullYear()));
  const option = (p: HistoryPoint) => {
    const o = el('option', auditOption(p, years.size > 1));
    o.value = p.auditId;
    return o;
  };
  const newestFirst = [...h.points].reverse();
  compareA.replaceChildren(...newestFirst.map(option));
  compareB.replaceChildren(...newestFirst.map(option));
  compareForm.hidden = h.points.length < 2;
  const note = compareNote(h.points.length);
  compareNoteEl.hidden = !note;
  compareNoteEl.textContent = note ?? '';
  if (h.points.length >= 2) {
    compareB.value = newestFirst[0]!.auditId;
    compareA.value = newestFirst[1]!.auditId;
  }
}

/** Boxes of an audit over its photo (or over a blank of the photo's size when it is not kept). */
function drawAudit(figure: HTMLElement, label: string, audit: AuditDetail, photo: Blob | null) {
  figure.replaceChildren();
  const wrap = el('div', undefined, 'photo');
  wrap.style.aspectRatio = `${audit.image.width} / ${audit.image.height}`;
  if (photo) {
    const url = URL.createObjectURL(photo);
    view.photoUrls.push(url);
    const img = el('img');
    img.src = url;
    img.alt = `Photo of aisle ${audit.aisle}, ${label.toLowerCase()} audit`;
    wrap.append(img);
  }
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${audit.image.width} ${audit.image.height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  const rect = (box: Box, cls: string) => {
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('x', String(box[0]));
    r.setAttribute('y', String(box[1]));
    r.setAttribute('width', String(Math.max(0, box[2] - box[0])));
    r.setAttribute('height', String(Math.max(0, box[3] - box[1])));
    r.setAttribute('class', cls);
    r.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.append(r);
  };
  for (const d of audit.detections) rect(d.box, 'box');
  for (const row of audit.rows) for (const g of row.gaps) rect(g, 'gap');
  wrap.append(svg);
  wrap.dataset.boxes = String(audit.detections.length);
  wrap.dataset.gaps = String(gapCount(audit));
  wrap.dataset.photo = photo ? 'kept' : 'none';
  const caption = el(
    'figcaption',
    `${label}: ${when(audit.createdAt)} — ${plural(audit.count, 'product')}, ${plural(gapCount(audit), 'gap')}${photo ? '' : ' (photo not kept: boxes only)'}`,
  );
  figure.append(wrap, caption);
}

async function showCompare() {
  const [idA, idB] = [compareA.value, compareB.value];
  if (!idA || !idB) return;
  problem.hidden = true;
  const seq = ++view.seq;
  for (const u of view.photoUrls) URL.revokeObjectURL(u);
  view.photoUrls = [];
  status.textContent = 'Loading the two audits…';
  let a: AuditDetail;
  let b: AuditDetail;
  let photos: [Blob | null, Blob | null];
  try {
    [a, b] = await Promise.all([view.api!.audit(idA), view.api!.audit(idB)]);
    const points = new Map(view.history?.points.map((p) => [p.auditId, p]));
    photos = await Promise.all([
      points.get(idA)?.photo ? view.api!.photo(idA) : null,
      points.get(idB)?.photo ? view.api!.photo(idB) : null,
    ]);
  } catch (err) {
    if (seq === view.seq) showProblem(err, () => void showCompare());
    return;
  }
  if (seq !== view.seq) return;
  // Earlier on the left, whichever way round they were chosen.
  if (Date.parse(a.createdAt) > Date.parse(b.createdAt)) {
    [a, b] = [b, a];
    photos = [photos[1], photos[0]];
  }
  drawAudit($('compare-photo-a'), 'Earlier', a, photos[0]);
  drawAudit($('compare-photo-b'), 'Later', b, photos[1]);
  const rows = compareRows(a, b);
  const body = $<HTMLTableElement>('compare-rows').tBodies[0]!;
  const n = (v: number | null) => (v === null ? '–' : String(v));
  body.replaceChildren(
    ...rows.map((r) => {
      const tr = el('tr');
      const th = el('th', `Row ${r.row}`);
      th.scope = 'row';
      tr.append(
        th,
        el('td', n(r.countA), 'num'),
        el('td', n(r.countB), 'num'),
        el(
          'td',
          r.delta === null ? '–' : signed(r.delta),
          `num${r.delta !== null && r.delta < 0 ? ' worse' : ''}`,
        ),
        el('td', n(r.gapsA), 'num'),
        el('td', n(r.gapsB), 'num'),
      );
      return tr;
    }),
  );
  const summaryOf = (x: AuditDetail) => ({
    count: x.count,
    rows: x.rows.map((r) => ({ count: r.count, gaps: r.gaps.length })),
    at: Date.parse(x.createdAt),
  });
  const c = compareShelves(summaryOf(a), summaryOf(b));
  const trend =
    c.gapsDelta < 0 ? ' The re-scan shows fewer gaps.' : c.gapsDelta > 0 ? ' More gaps than before.' : '';
  $<HTMLParagraphElement>('compare-summary').textContent = `${c.text}.${trend}`;
  compareEl.dataset.countDelta = String(c.countDelta);
  compareEl.dataset.gapDelta = String(c.gapsDelta);
  compareEl.hidden = false;
  status.textContent = `Compared two audits of aisle ${view.aisle}.`;
}

async function download(kind: 'summary' | 'history') {
  if (!view.range) return;
  const path =
    kind === 'summary'
      ? summaryPath(view.storeId, view.range)
      : historyPath(view.storeId, view.aisle ?? '', view.range);
  try {
    const { blob, filename } = await view.api!.csv(path, view.storeId);
    const url = URL.createObjectURL(blob);
    const a = el('a');
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.textContent = `Downloaded ${filename}.`;
  } catch (err) {
    showProblem(err, () => void download(kind));
  }
}

async function start() {
  const db = await openShelfWatchDb();
  const settings = await loadSettings(db, localStorage);
  db.close();
  const query = new URLSearchParams(location.search);
  const days = defaultDays();
  sinceInput.value = query.get('from') ?? days.from;
  untilInput.value = query.get('to') ?? days.to;
  if (!settings.apiKey) {
    showProblem(
      new DashboardError(
        'NO_API_KEY',
        'No API key is set on this device. Open the scanner, enter your API key in Settings, then come back.',
      ),
      () => location.reload(),
    );
    return;
  }
  view.api = new DashboardApi(settings.apiKey);
  setState('loading', 'Checking the API key…');
  const me = await checkKey(settings.apiKey);
  if (!me.ok) {
    showProblem(
      me.status === 401
        ? new DashboardError(
            'UNAUTHORIZED',
            "The server refused the API key. Open the scanner's Settings and enter the key your manager gave you.",
            401,
          )
        : new DashboardError(me.error.code, me.error.text, me.status),
      () => location.reload(),
    );
    return;
  }
  const stores = me.info.stores;
  const wanted = query.get('store') ?? settings.storeId;
  if (stores.includes('*')) {
    storeSelect.hidden = true;
    storeAny.hidden = false;
    $('store-any-hint').hidden = false;
    document.querySelector('label[for=store]')!.setAttribute('for', 'store-any');
    storeAny.value = wanted;
  } else {
    storeSelect.replaceChildren(
      ...stores.map((s) => {
        const o = el('option', s);
        o.value = s;
        return o;
      }),
    );
    storeSelect.value = stores.includes(wanted) ? wanted : stores[0]!;
    storeSelect.disabled = false;
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    view.aisle = undefined;
    void showSummary();
  });
  storeSelect.addEventListener('change', () => form.requestSubmit());
  compareForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void showCompare();
  });
  $('problem-retry').addEventListener('click', () => view.retry());
  $('summary-csv').addEventListener('click', () => void download('summary'));
  $('history-csv').addEventListener('click', () => void download('history'));
  let resize: number | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resize);
    resize = window.setTimeout(() => {
      if (view.chart)
        view.chart.setSize({ width: Math.max(280, chartEl.clientWidth), height: view.chart.height });
    }, 150);
  });
  if (storeAny.hidden || storeAny.value) await showSummary();
  else setState('empty', 'Type a store id, then choose Show.');
}

void start();
