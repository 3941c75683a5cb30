import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { By } from '@angular/platform-browser';
import { Chart, type ChartData } from 'chart.js';
import { aSummary } from '../testing/builders';
import { barOptions } from './chart-options';
import { ChartComponent, type LmbChartType } from './chart.component';
import { modelShare, requestsPerDay, responseTimePerDay, topModels } from './usage-charts';

@Component({
  imports: [ChartComponent],
  template: `@if (shown()) {
    <lmb-chart [type]="type()" [data]="data()" [options]="options" label="test chart" />
  }`,
})
class Host {
  readonly shown = signal(true);
  readonly type = signal<LmbChartType>('bar');
  readonly data = signal<ChartData>({ labels: ['a', 'b'], datasets: [{ label: 'Requests', data: [1, 2] }] });
  readonly options = barOptions();
}

describe('ChartComponent', () => {
  async function setup() {
    const fixture = TestBed.createComponent(Host);
    await fixture.whenStable();
    const chart = () => {
      const instance = (fixture.debugElement.query(By.directive(ChartComponent))?.componentInstance as ChartComponent | undefined)?.instance;
      if (!instance) throw new Error('no chart drawn');
      return instance;
    };
    return { fixture, host: fixture.componentInstance, chart };
  }

  it('draws on its own canvas, labelled for screen readers', async () => {
    const { fixture, chart } = await setup();
    const canvas = (fixture.nativeElement as HTMLElement).querySelector('canvas');
    expect(canvas?.getAttribute('role')).toBe('img');
    expect(canvas?.getAttribute('aria-label')).toBe('test chart');
    expect(chart()).toBeInstanceOf(Chart);
    expect(chart().canvas).toBe(canvas);
    expect(chart().data.datasets[0].data).toEqual([1, 2]);
  });

  it('updates the same chart in place, keeping dataset objects', async () => {
    const { fixture, host, chart } = await setup();
    const instance = chart();
    const dataset = instance.data.datasets[0];
    const update = jest.spyOn(instance, 'update');
    host.data.set({ labels: ['a', 'b', 'c'], datasets: [{ label: 'Requests', data: [3, 4, 5] }] });
    await fixture.whenStable();
    expect(chart()).toBe(instance);
    expect(update).toHaveBeenCalledTimes(1);
    expect(instance.data.labels).toEqual(['a', 'b', 'c']);
    expect(instance.data.datasets[0]).toBe(dataset);
    expect(dataset.data).toEqual([3, 4, 5]);
    // The component's input was not handed to Chart.js (which instruments arrays).
    expect(host.data().datasets[0].data).not.toBe(dataset.data);
  });

  it('recreates the chart when the type changes and destroys it on teardown', async () => {
    const { fixture, host, chart } = await setup();
    const first = chart();
    const destroyFirst = jest.spyOn(first, 'destroy');
    host.type.set('line');
    await fixture.whenStable();
    const second = chart();
    expect(destroyFirst).toHaveBeenCalled();
    expect(second).not.toBe(first);
    expect((second.config as { type?: string }).type).toBe('line');
    const destroySecond = jest.spyOn(second, 'destroy');
    host.shown.set(false);
    await fixture.whenStable();
    expect(destroySecond).toHaveBeenCalled();
    expect(Chart.getChart(second.canvas)).toBeUndefined();
  });
});

describe('usage chart data', () => {
  const summary = aSummary();

  it('stacks successes and errors per day', () => {
    const data = requestsPerDay(summary);
    expect(data.labels).toHaveLength(summary.by_day.length);
    const [ok, errors] = data.datasets;
    expect(ok.data).toEqual(summary.by_day.map((d) => d.requests - d.errors));
    expect(errors.data).toEqual(summary.by_day.map((d) => d.errors));
    expect(ok.stack).toBe(errors.stack);
  });

  it('draws average and p95 per day, with gaps on days without requests', () => {
    const s = aSummary();
    s.by_day[0] = { ...s.by_day[0], requests: 0, errors: 0 };
    const data = responseTimePerDay(s);
    expect(data.datasets.map((d) => d.label)).toEqual(['Average', 'p95']);
    expect(data.datasets[0].data[0]).toBeNull();
    expect(data.datasets[1].data[1]).toBe(s.by_day[1].p95_response_time_ms);
  });

  it('sorts models by requests and folds the tail into "Other"', () => {
    const s = aSummary({
      by_model: ['a', 'b', 'c'].map((model, i) => ({
        model,
        requests: i + 1,
        errors: 0,
        avg_response_time_ms: 1,
        prompt_tokens: 0,
        completion_tokens: 0,
        cost_usd: 0,
      })),
    });
    expect(topModels(s, 2).labels).toEqual(['c', 'b']);
    const share = modelShare(s, 2);
    expect(share.labels).toEqual(['c', 'b', 'Other']);
    expect(share.datasets[0].data).toEqual([3, 2, 1]);
  });
});
