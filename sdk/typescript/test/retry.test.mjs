// 429 answers are retried after their Retry-After, against a real
// `passforge serve` with a tiny rate limit.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Passforge, RateLimitError } from '@passforge/client';

import { startServer } from './harness.mjs';

let server;
before(async () => {
  server = await startServer({ rateLimitPerMinute: 60, rateLimitBurst: 2 });
});
after(async () => {
  await server?.stop();
});

test('a 429 is retried after Retry-After and then succeeds', async () => {
  const retries = [];
  const client = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.read, onRetry: (r) => retries.push(r) });
  const results = [];
  for (let i = 0; i < 4; i++) {
    results.push(await client.templates.list());
  }
  assert.equal(results.length, 4);
  assert.ok(results.every((r) => r.data.length > 0));
  assert.ok(retries.length >= 1, 'the burst of 2 ran out, so some call waited');
  assert.ok(retries.every((r) => r.status === 429 && r.delayMs >= 1000), JSON.stringify(retries));
});

test('without retries the 429 is a RateLimitError', async () => {
  const client = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.admin, maxRetries: 0 });
  await assert.rejects(async () => {
    for (let i = 0; i < 5; i++) {
      await client.templates.list();
    }
  }, (e) => e instanceof RateLimitError && e.status === 429);
});
