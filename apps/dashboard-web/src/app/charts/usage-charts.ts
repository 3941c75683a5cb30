import type { ChartData } from 'chart.js';
import type { UsageSummary } from '@lmarena-bridge/contracts';
import { formatDay, modelLabel } from '../core/format';
import { CHART_COLORS, seriesColors } from './chart-options';

// Summary → chart data, shared by the dashboard and analytics pages. Pure functions of
// what the API returned: nothing estimated.

/** Requests per day, stacked: successes (requests − errors) and errors. */
export function requestsPerDay(summary: UsageSummary): ChartData<'bar'> {
  return {
    labels: summary.by_day.map((d) => formatDay(d.date)),
    datasets: [
      { label: 'Successful', data: summary.by_day.map((d) => Math.max(0, d.requests - d.errors)), backgroundColor: CHART_COLORS.success, stack: 'requests' },
      { label: 'Errors', data: summary.by_day.map((d) => d.errors), backgroundColor: CHART_COLORS.error, stack: 'requests' },
    ],
  };
}

/**
 * Response time per day. The summary has the average and the p95 of each day (a per-day
 * median is not part of the API), so that is what is drawn. Days without requests are
 * gaps, not zeros.
 */
export function responseTimePerDay(summary: UsageSummary): ChartData<'line'> {
  const value = (d: UsageSummary['by_day'][number], v: number) => (d.requests > 0 ? v : null);
  // A day with no neighbour draws no line, only its point: make those points big enough to see.
  const days = summary.by_day.map((d) => d.requests > 0);
  const lone = days.map((on, i) => on && !days[i - 1] && !days[i + 1]);
  const pointRadius = lone.map((l) => (l ? 5 : 2));
  return {
    labels: summary.by_day.map((d) => formatDay(d.date)),
    datasets: [
      {
        label: 'Average',
        data: summary.by_day.map((d) => value(d, d.avg_response_time_ms)),
        borderColor: CHART_COLORS.primary,
        backgroundColor: CHART_COLORS.primary,
        spanGaps: false,
        pointRadius,
      },
      {
        label: 'p95',
        data: summary.by_day.map((d) => value(d, d.p95_response_time_ms)),
        borderColor: CHART_COLORS.secondary,
        backgroundColor: CHART_COLORS.secondary,
        spanGaps: false,
        pointRadius,
      },
    ],
  };
}

/** Cost per day, in USD at the models.json prices (models without a price add nothing). */
export function costPerDay(summary: UsageSummary): ChartData<'bar'> {
  return {
    labels: summary.by_day.map((d) => formatDay(d.date)),
    datasets: [{ label: 'Cost', data: summary.by_day.map((d) => d.cost_usd), backgroundColor: CHART_COLORS.primary }],
  };
}

/** The busiest models, most requests first. */
export function topModels(summary: UsageSummary, limit = 5): ChartData<'bar'> {
  const models = [...summary.by_model].sort((a, b) => b.requests - a.requests).slice(0, limit);
  return {
    labels: models.map((m) => modelLabel(m.model)),
    datasets: [{ label: 'Requests', data: models.map((m) => m.requests), backgroundColor: CHART_COLORS.primary }],
  };
}

/** Share of requests per model; beyond `limit` models the rest is one "Other" slice. */
export function modelShare(summary: UsageSummary, limit = 8): ChartData<'doughnut'> {
  const models = [...summary.by_model].sort((a, b) => b.requests - a.requests);
  const head = models.slice(0, limit);
  const rest = models.slice(limit).reduce((n, m) => n + m.requests, 0);
  const labels = [...head.map((m) => modelLabel(m.model)), ...(rest > 0 ? ['Other'] : [])];
  const data = [...head.map((m) => m.requests), ...(rest > 0 ? [rest] : [])];
  return { labels, datasets: [{ label: 'Requests', data, backgroundColor: seriesColors(data.length) }] };
}

/** Requests per token, busiest first. */
export function requestsPerToken(summary: UsageSummary, limit = 10): ChartData<'bar'> {
  const tokens = [...summary.by_token].sort((a, b) => b.requests - a.requests).slice(0, limit);
  return {
    labels: tokens.map((t) => t.name),
    datasets: [{ label: 'Requests', data: tokens.map((t) => t.requests), backgroundColor: CHART_COLORS.primary }],
  };
}
