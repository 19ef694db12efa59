// The fetch every request goes through: an Idempotency-Key on each POST
// (the same key on its retries) and retries of 429 and 503 answers that
// honour Retry-After.

import { randomUUID } from 'node:crypto';

/** What a retry callback is told. */
export interface RetryInfo {
  /** 1 for the first retry. */
  attempt: number;
  /** The status that is retried (429 or 503). */
  status: number;
  /** How long the client waits before it. */
  delayMs: number;
  method: string;
  url: string;
}

/** Options of {@link retryingFetch}. */
export interface TransportOptions {
  /** Retries of a 429 or 503 answer (default 3). */
  maxRetries: number;
  /** The longest wait before a retry (default 60 s); a longer Retry-After gives up. */
  maxRetryDelayMs: number;
  /** The fetch to wrap (default globalThis.fetch). */
  fetch: typeof fetch;
  /** Called before each retry. */
  onRetry?: (info: RetryInfo) => void;
}

/** Wraps `fetch` with the Idempotency-Key and the retries. */
export function retryingFetch(options: TransportOptions): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if (request.method === 'POST' && !request.headers.has('Idempotency-Key')) {
      request.headers.set('Idempotency-Key', randomUUID());
    }
    for (let attempt = 1; ; attempt++) {
      const response = await options.fetch(request.clone());
      if ((response.status !== 429 && response.status !== 503) || attempt > options.maxRetries) {
        return response;
      }
      const delayMs = retryDelay(response.headers.get('Retry-After'), attempt);
      if (delayMs > options.maxRetryDelayMs) {
        return response;
      }
      await response.body?.cancel();
      options.onRetry?.({
        attempt,
        status: response.status,
        delayMs,
        method: request.method,
        url: request.url,
      });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  };
}

/** Retry-After in seconds or as an HTTP date; else an exponential backoff. */
export function retryDelay(retryAfter: string | null, attempt: number): number {
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) {
      return Math.ceil(seconds * 1000);
    }
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) {
      return Math.max(0, date - Date.now());
    }
  }
  return Math.min(500 * 2 ** (attempt - 1), 8000);
}
