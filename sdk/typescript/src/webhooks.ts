// Verifying webhook deliveries: the Standard Webhooks headers
// (`webhook-id`, `webhook-timestamp`, `webhook-signature`) or
// `X-Passforge-Signature` (hex HMAC-SHA256 of the body).

import { createHmac, timingSafeEqual } from 'node:crypto';

import { WebhookVerificationError } from './errors.js';

/** A webhook event as passforge posts it. */
export interface WebhookEvent<T = Record<string, unknown>> {
  /** The event id (also the `webhook-id` header): deduplicate by it, delivery is at least once. */
  id: string;
  /** `pass.created`, `pass.updated`, `pass.voided`, `pass.deleted`, `template.created`, … */
  type: string;
  /** When the change happened (RFC 3339). */
  createdAt: string;
  /** The changed resource. */
  data: T;
}

/** Headers as a plain object (any case) or a `Headers`. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

/** Options of {@link verifyWebhook}. */
export interface VerifyOptions {
  /** Oldest accepted `webhook-timestamp`, in seconds from now (default 300). */
  toleranceSeconds?: number;
  /** The time to check against (default: now). */
  now?: Date;
}

/**
 * Checks a delivery's signature with the endpoint's secret and returns its
 * event. Standard Webhooks headers are checked when present (signature and
 * a timestamp within the tolerance), else `X-Passforge-Signature`.
 *
 * @throws WebhookVerificationError when neither signature checks out.
 */
export function verifyWebhook<T = Record<string, unknown>>(
  body: string | Uint8Array,
  headers: HeaderSource,
  secret: string,
  options: VerifyOptions = {},
): WebhookEvent<T> {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  const key = secretKey(secret);
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (id !== undefined && timestamp !== undefined && signatures !== undefined) {
    const seconds = Number(timestamp);
    if (!Number.isInteger(seconds)) {
      throw new WebhookVerificationError(`webhook-timestamp is not a number of seconds: ${timestamp}`);
    }
    const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
    const tolerance = options.toleranceSeconds ?? 300;
    if (Math.abs(now - seconds) > tolerance) {
      throw new WebhookVerificationError(
        `webhook-timestamp ${seconds} is more than ${tolerance} s from now (${now}): a replayed or delayed delivery`,
      );
    }
    const expected = createHmac('sha256', key)
      .update(`${id}.${timestamp}.`)
      .update(raw)
      .digest();
    const matched = signatures.split(' ').some((s) => {
      const [version, value] = s.split(',', 2);
      return version === 'v1' && value !== undefined && equal(Buffer.from(value, 'base64'), expected);
    });
    if (!matched) {
      throw new WebhookVerificationError('webhook-signature does not match the body with this secret');
    }
    return parse<T>(raw);
  }
  const plain = header(headers, 'x-passforge-signature');
  if (plain !== undefined) {
    const expected = createHmac('sha256', key).update(raw).digest();
    const hex = plain.startsWith('sha256=') ? plain.slice('sha256='.length) : '';
    if (!/^[0-9a-f]{64}$/i.test(hex) || !equal(Buffer.from(hex, 'hex'), expected)) {
      throw new WebhookVerificationError('X-Passforge-Signature does not match the body with this secret');
    }
    return parse<T>(raw);
  }
  throw new WebhookVerificationError(
    'no signature headers: expected webhook-id, webhook-timestamp and webhook-signature, or X-Passforge-Signature',
  );
}

/** The key of a secret: the base64 after `whsec_`, else the secret's own bytes. */
function secretKey(secret: string): Buffer {
  if (secret.startsWith('whsec_')) {
    const b64 = secret.slice('whsec_'.length);
    if (/^[A-Za-z0-9+/]*={0,2}$/.test(b64) && b64.length % 4 === 0) {
      return Buffer.from(b64, 'base64');
    }
    return Buffer.from(b64, 'utf8');
  }
  return Buffer.from(secret, 'utf8');
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) {
      return Array.isArray(v) ? v.join(' ') : v;
    }
  }
  return undefined;
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function parse<T>(raw: Buffer): WebhookEvent<T> {
  try {
    return JSON.parse(raw.toString('utf8')) as WebhookEvent<T>;
  } catch {
    throw new WebhookVerificationError('the signed body is not JSON');
  }
}
