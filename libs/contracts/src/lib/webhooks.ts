/** Event types a webhook may subscribe to (contract "Notifications"). */
export const WEBHOOK_EVENT_TYPES = [
  'token.created',
  'token.revoked',
  'token.expiring',
  'quota.threshold',
  'rate_limit.exceeded',
  'bridge.disconnected',
  'usage.report',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** System events: only admins may subscribe to them. */
export const ADMIN_WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = ['bridge.disconnected'];

/** `webhook.test` is sent by the test button only; it is not subscribable. */
export type WebhookSentType = WebhookEventType | 'webhook.test';

export interface Webhook {
  id: number;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  created_at: string;
}

/** The answer of POST /api/webhooks: the only time the signing secret is shown. */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

export interface WebhookList {
  webhooks: Webhook[];
}

/** One attempt to deliver one event to one webhook. */
export interface WebhookDelivery {
  id: number;
  /** The `X-LMB-Delivery` header: the same for every attempt of one event to one webhook. */
  delivery_id: string;
  type: WebhookSentType;
  attempt: number;
  /** Null when no answer came (refused, timed out, connection error). */
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  /** At most 1 KB of the receiver's answer. */
  response_body: string | null;
  created_at: string;
}

export interface WebhookDeliveryList {
  deliveries: WebhookDelivery[];
}

/** The JSON body of every webhook request. */
export interface WebhookBody<T = Record<string, unknown>> {
  id: string;
  type: WebhookSentType;
  created_at: string;
  data: T;
}
