import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { createMetricsRegistry, DURATION_BUCKETS } from '@lmarena-bridge/server';
import { UsageRecorder } from '@lmarena-bridge/usage';
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One finished chat request, as the usage row describes it (recorded for every caller). */
export interface ChatSample {
  /** The model the client asked for ('' when none). */
  model: string;
  status: number;
  durationMs: number;
  /** Until the provider's answer began (null: no upstream was called). */
  upstreamMs: number | null;
  ttftMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

/** Label for a request that named no model. */
export const NO_MODEL = '(none)';
/** Label for a model name that is not in models.json: clients cannot grow the label set. */
export const OTHER_MODEL = 'other';

/**
 * The proxy's Prometheus metrics. Label values are bounded: `model` is a models.json name,
 * `(none)` or `other`; `status` the numeric HTTP status (499: client gone).
 */
@Injectable()
export class ProxyMetrics {
  readonly registry: Registry = createMetricsRegistry('proxy-api');
  private readonly models: ReadonlySet<string>;
  private readBridgeBrowsers: () => number = () => 0;

  private readonly requests = new Counter({
    name: 'lmb_proxy_requests_total',
    help: 'Chat completion requests answered, by model and HTTP status',
    labelNames: ['model', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'lmb_proxy_request_duration_seconds',
    help: 'Time from the request to the end of the answer',
    labelNames: ['model'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly upstream = new Histogram({
    name: 'lmb_proxy_upstream_duration_seconds',
    help: 'Time from calling the provider until its answer began (a whole JSON body, or the stream opened)',
    labelNames: ['model'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly ttft = new Histogram({
    name: 'lmb_proxy_ttft_seconds',
    help: 'Time to the first content token of streamed answers',
    labelNames: ['model'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: 'lmb_proxy_tokens_total',
    help: 'Tokens reported by the upstream (or estimated), by model and kind',
    labelNames: ['model', 'kind'] as const,
    registers: [this.registry],
  });
  /** Requests refused by a token's limits; the limits feature increments it. */
  readonly limitRejections = new Counter({
    name: 'lmb_proxy_limit_rejections_total',
    help: 'Requests refused by a rate or quota limit, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(@InjectConfig() config: AppConfig, recorder: UsageRecorder) {
    this.models = new Set(config.models.map((m) => m.name));
    new Gauge({
      name: 'lmb_usage_queue_rows',
      help: 'Usage rows waiting in memory to be written to the database',
      registers: [this.registry],
      collect() {
        this.set(recorder.pending);
      },
    });
    const readBrowsers = () => this.readBridgeBrowsers();
    new Gauge({
      name: 'lmb_bridge_browsers',
      help: 'Browsers connected to the LMArena bridge',
      registers: [this.registry],
      collect() {
        this.set(readBrowsers());
      },
    });
  }

  /** The bridge hub hands over how to count its browsers; read at every scrape. */
  reportBridgeBrowsers(read: () => number): void {
    this.readBridgeBrowsers = read;
  }

  modelLabel(model: string): string {
    if (model === '') return NO_MODEL;
    return this.models.has(model) ? model : OTHER_MODEL;
  }

  observe(sample: ChatSample): void {
    const model = this.modelLabel(sample.model);
    this.requests.inc({ model, status: String(sample.status) });
    this.duration.observe({ model }, sample.durationMs / 1000);
    if (sample.upstreamMs !== null) this.upstream.observe({ model }, sample.upstreamMs / 1000);
    if (sample.ttftMs !== null) this.ttft.observe({ model }, sample.ttftMs / 1000);
    if (sample.promptTokens !== null) this.tokens.inc({ model, kind: 'prompt' }, sample.promptTokens);
    if (sample.completionTokens !== null) this.tokens.inc({ model, kind: 'completion' }, sample.completionTokens);
  }
}
