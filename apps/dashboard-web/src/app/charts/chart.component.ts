import { afterRenderEffect, ChangeDetectionStrategy, Component, DestroyRef, ElementRef, inject, input, untracked, viewChild } from '@angular/core';
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartData,
  type ChartOptions,
  type ChartType,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

// Only the Chart.js parts the dashboard draws: bar, line and doughnut charts with
// category/linear axes, tooltips and legends (tree-shaking drops the rest).
Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  DoughnutController,
  ArcElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
);

export type LmbChartType = Extract<ChartType, 'bar' | 'line' | 'doughnut'>;

/**
 * A `<canvas>` with one Chart.js chart. New `data` updates the existing chart in place
 * (datasets keep their identity, so bars morph rather than flash); the chart is destroyed
 * with the component.
 */
@Component({
  selector: 'lmb-chart',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<canvas #canvas role="img" [attr.aria-label]="label()"></canvas>`,
  host: { class: 'chart-box', '[style.height.px]': 'height()' },
})
export class ChartComponent {
  readonly type = input.required<LmbChartType>();
  readonly data = input.required<ChartData>();
  readonly options = input<ChartOptions>({});
  /** What the chart shows, for screen readers (the data is also in the page's tables). */
  readonly label = input.required<string>();
  readonly height = input(260);

  private readonly canvas = viewChild.required<ElementRef<HTMLCanvasElement>>('canvas');
  private chart: Chart | null = null;
  private lastOptions: ChartOptions | null = null;

  constructor() {
    afterRenderEffect({
      write: () => {
        const type = this.type();
        const data = this.data();
        const options = this.options();
        untracked(() => this.render(type, data, options));
      },
    });
    inject(DestroyRef).onDestroy(() => {
      this.chart?.destroy();
      this.chart = null;
    });
  }

  /** The live chart (for tests and debugging). */
  get instance(): Chart | null {
    return this.chart;
  }

  private render(type: LmbChartType, data: ChartData, options: ChartOptions): void {
    if (this.chart && (this.chart.config as { type?: string }).type !== type) {
      this.chart.destroy();
      this.chart = null;
    }
    if (!this.chart) {
      this.chart = new Chart(this.canvas().nativeElement, { type, data: copyData(data), options });
      this.lastOptions = options;
      return;
    }
    syncData(this.chart.data, data);
    if (this.lastOptions !== options) {
      this.chart.options = options;
      this.lastOptions = options;
    }
    this.chart.update();
  }
}

/** Chart.js keeps (and instruments) the arrays it is given: hand it copies. */
function copyData(data: ChartData): ChartData {
  return { labels: [...(data.labels ?? [])], datasets: data.datasets.map((d) => ({ ...d, data: [...d.data] })) } as ChartData;
}

/** Copies `next` into the chart's own data, keeping dataset objects where labels match. */
export function syncData(target: ChartData, next: ChartData): void {
  target.labels = [...(next.labels ?? [])];
  next.datasets.forEach((dataset, i) => {
    const existing = target.datasets[i];
    if (existing && existing.label === dataset.label) Object.assign(existing, dataset, { data: [...dataset.data] });
    else target.datasets[i] = { ...dataset, data: [...dataset.data] } as (typeof target.datasets)[number];
  });
  target.datasets.length = next.datasets.length;
}
