import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signing secrets must be readable by the worker (HMAC needs the secret itself) but
 * never stored in plain text: they are sealed with AES-256-GCM under a key derived from the
 * server key (`webhooks.secret_key` / WEBHOOK_SECRET_KEY). A database dump alone reveals none.
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>` (base64url); the version leaves room for rotation.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(serverKey: string) {
    if (serverKey.length < 32) throw new Error('the webhook server key needs at least 32 characters');
    // A fixed label keeps this key apart from any other use of the same server key.
    this.key = createHash('sha256').update(`lmb-webhook-secrets\0${serverKey}`).digest();
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unreadable sealed webhook secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** A new signing secret: `whsec_` and 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`: the X-LMB-Signature header. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: constant-time comparison of the signature it got with its own. */
export function verifyWebhookSignature(secret: string, timestamp: string, body: string, header: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
