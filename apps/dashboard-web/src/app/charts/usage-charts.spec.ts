import type { UsageSummary } from '@lmarena-bridge/contracts';
import { costPerDay, modelShare, responseTimePerDay, topModels } from './usage-charts';

type Day = UsageSummary['by_day'][number];
type ModelRow = UsageSummary['by_model'][number];

const day = (date: string, requests: number): Day =>
  ({ date, requests, errors: 0, avg_response_time_ms: requests ? 120 : 0, p95_response_time_ms: requests ? 300 : 0 }) as Day;
const model = (name: string, requests: number): ModelRow =>
  ({ model: name, requests, errors: 0, avg_response_time_ms: 100, prompt_tokens: 1, completion_tokens: 1 }) as ModelRow;
const summary = (by_day: Day[], by_model: ModelRow[] = []) => ({ by_day, by_model, by_token: [] }) as unknown as UsageSummary;

describe('usage charts', () => {
  it('labels requests without a model "(no model)" in both model charts', () => {
    const s = summary([], [model('gpt-4o', 3), model('', 2)]);
    expect(topModels(s).labels).toEqual(['gpt-4o', '(no model)']);
    expect(modelShare(s).labels).toEqual(['gpt-4o', '(no model)']);
  });

  it('draws a lone day of data as a visible point, days with neighbours as small ones', () => {
    const one = responseTimePerDay(summary([day('2026-11-29', 0), day('2026-11-30', 4), day('2026-12-01', 0)]));
    expect(one.datasets[0].pointRadius).toEqual([2, 5, 2]);
    expect(one.datasets[0].data).toEqual([null, 120, null]);
    const run = responseTimePerDay(summary([day('2026-11-30', 4), day('2026-12-01', 1)]));
    expect(run.datasets[1].pointRadius).toEqual([2, 2]);
  });

  it('draws the cost of each day as the summary has it', () => {
    const s = summary([
      { ...day('2026-11-30', 4), cost_usd: 0.25 },
      { ...day('2026-12-01', 0), cost_usd: 0 },
    ]);
    expect(costPerDay(s).datasets[0].data).toEqual([0.25, 0]);
    expect(costPerDay(s).labels).toHaveLength(2);
  });
});
