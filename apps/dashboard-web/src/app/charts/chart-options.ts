import type { ChartOptions, TooltipItem } from 'chart.js';
import { formatMs, formatNumber, formatPercent, formatUsd } from '../core/format';

/** One palette for every chart, so "errors" is the same red everywhere. */
export const CHART_COLORS = {
  success: '#16a34a',
  error: '#dc2626',
  primary: '#2563eb',
  secondary: '#f59e0b',
  grid: '#e5e7eb',
  text: '#374151',
  series: ['#2563eb', '#16a34a', '#f59e0b', '#db2777', '#7c3aed', '#0891b2', '#ea580c', '#65a30d', '#6b7280'],
} as const;

export type ValueKind = 'count' | 'ms' | 'usd';

const formatValue = (kind: ValueKind, v: number): string => (kind === 'ms' ? formatMs(v) : kind === 'usd' ? formatUsd(v) : formatNumber(v));

/** Users who ask the system for less motion get charts without animation. */
export function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

function base<T extends 'bar' | 'line' | 'doughnut'>(): ChartOptions<T> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    // Short animations: refreshes morph the existing bars instead of redrawing.
    animation: prefersReducedMotion() ? false : { duration: 250 },
    plugins: {
      legend: { position: 'bottom', labels: { boxWidth: 12, color: CHART_COLORS.text } },
      tooltip: { intersect: false },
    },
  } as ChartOptions<T>;
}

/** Axes for counts or durations; `stacked` stacks the datasets. */
function axes(kind: ValueKind, stacked: boolean, horizontal: boolean) {
  const value = {
    stacked,
    beginAtZero: true,
    grid: { color: CHART_COLORS.grid },
    ticks: { color: CHART_COLORS.text, precision: 0, callback: (v: string | number) => formatValue(kind, Number(v)) },
  };
  const category = { stacked, grid: { display: false }, ticks: { color: CHART_COLORS.text, autoSkip: true, maxRotation: 0 } };
  return horizontal ? { x: value, y: category } : { x: category, y: value };
}

export function barOptions(opts: { kind?: ValueKind; stacked?: boolean; horizontal?: boolean; legend?: boolean } = {}): ChartOptions<'bar'> {
  const { kind = 'count', stacked = false, horizontal = false, legend = true } = opts;
  const o = base<'bar'>();
  return {
    ...o,
    indexAxis: horizontal ? 'y' : 'x',
    scales: axes(kind, stacked, horizontal),
    plugins: {
      ...o.plugins,
      legend: { ...o.plugins?.legend, display: legend },
      tooltip: {
        ...o.plugins?.tooltip,
        mode: 'index',
        callbacks: {
          label: (item: TooltipItem<'bar'>) => `${item.dataset.label ?? ''}: ${formatValue(kind, Number(horizontal ? item.parsed.x : item.parsed.y))}`,
        },
      },
    },
  };
}

export function lineOptions(opts: { kind?: ValueKind } = {}): ChartOptions<'line'> {
  const { kind = 'count' } = opts;
  const o = base<'line'>();
  return {
    ...o,
    scales: axes(kind, false, false),
    elements: { line: { tension: 0.25, borderWidth: 2 }, point: { radius: 2, hoverRadius: 4 } },
    interaction: { mode: 'index', intersect: false },
    plugins: {
      ...o.plugins,
      tooltip: {
        ...o.plugins?.tooltip,
        mode: 'index',
        callbacks: { label: (item: TooltipItem<'line'>) => `${item.dataset.label ?? ''}: ${formatValue(kind, Number(item.parsed.y))}` },
      },
    },
  };
}

export function doughnutOptions(): ChartOptions<'doughnut'> {
  const o = base<'doughnut'>();
  return {
    ...o,
    cutout: '60%',
    plugins: {
      ...o.plugins,
      legend: { ...o.plugins?.legend, position: 'right' },
      tooltip: {
        ...o.plugins?.tooltip,
        callbacks: {
          label: (item: TooltipItem<'doughnut'>) => {
            const values = item.dataset.data as number[];
            const total = values.reduce((a, b) => a + b, 0);
            return `${item.label}: ${formatNumber(item.parsed)} (${formatPercent(total ? item.parsed / total : null)})`;
          },
        },
      },
    },
  };
}

/** Colors for n slices/bars from the shared series palette. */
export function seriesColors(n: number): string[] {
  return Array.from({ length: n }, (_, i) => CHART_COLORS.series[i % CHART_COLORS.series.length]);
}
