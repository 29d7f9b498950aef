/**
 * The dashboard's charts, drawn by uPlot (canvas): an aisle's count and gaps per audit over time, and
 * the gap-rate sparkline of each aisle row. Colours come from the page's CSS variables (light and dark).
 * Each chart element carries `data-points` (audits drawn) for people's tools and the tests.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { HistoryPoint } from '@shelfwatch/shared';
import { timeRange } from './model.ts';

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function palette() {
  return {
    fg: cssVar('--fg', '#1a1a1a'),
    line: cssVar('--line', '#c9d1cc'),
    count: cssVar('--brand', '#0b5d3b'),
    gaps: cssVar('--danger', '#a40e26'),
  };
}

/** Count (left axis) and gaps (right axis) of each audit, against time. */
export function historyChart(target: HTMLElement, points: readonly HistoryPoint[]): uPlot {
  const c = palette();
  const axis = { stroke: c.fg, grid: { stroke: c.line, width: 1 }, ticks: { stroke: c.line, width: 1 } };
  const times = points.map((p) => Date.parse(p.createdAt) / 1000);
  const data: uPlot.AlignedData = [times, points.map((p) => p.count), points.map((p) => p.gaps)];
  const single = timeRange(times);
  const width = Math.max(280, target.clientWidth);
  const plot = new uPlot(
    {
      width,
      height: width < 500 ? 220 : 300,
      series: [
        { label: 'Time' },
        { label: 'Products', stroke: c.count, width: 2, points: { show: points.length < 120, size: 5 } },
        {
          label: 'Gaps',
          scale: 'gaps',
          stroke: c.gaps,
          width: 1.5,
          dash: [6, 3],
          points: { show: points.length < 120, size: 5 },
        },
      ],
      scales: {
        x: { time: true, range: (_u, min, max) => single ?? [min, max] },
        gaps: { range: (_u, _min, max) => [0, Math.max(4, max)] },
      },
      axes: [
        axis,
        { ...axis, label: 'Products' },
        { ...axis, label: 'Gaps', scale: 'gaps', side: 1, grid: { show: false } },
      ],
      legend: { show: true },
    },
    data,
    target,
  );
  target.dataset.points = String(points.length);
  return plot;
}

/** A gap-rate sparkline: one point per span of the range (null spans break the line). */
export function sparkline(target: HTMLElement, spark: readonly (number | null)[]): uPlot {
  const c = palette();
  const plot = new uPlot(
    {
      width: target.clientWidth || 120, // the CSS width: narrower on a phone
      height: 32,
      pxAlign: false,
      cursor: { show: false },
      legend: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(0.25, max ?? 0)] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: c.gaps, width: 1.5, points: { show: true, size: 3, fill: c.gaps } }],
    },
    [spark.map((_, i) => i), [...spark]],
    target,
  );
  target.dataset.points = String(spark.filter((v) => v !== null).length);
  return plot;
}
