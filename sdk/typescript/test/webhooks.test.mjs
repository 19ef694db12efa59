// verifyWebhook on its own: both schemes, secrets with and without whsec_,
// stale timestamps, missing headers.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';

import { verifyWebhook, WebhookVerificationError } from '@passforge/client';

const body = JSON.stringify({ id: 'evt_1', type: 'pass.created', createdAt: '2026-12-06T10:00:00Z', data: { id: 'p1' } });

function standard(key, id, ts) {
  return 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
}

test('a Standard Webhooks signature with a whsec_ secret checks out; one of several signatures is enough', () => {
  const key = Buffer.from('0123456789abcdef01234567');
  const secret = 'whsec_' + key.toString('base64');
  const ts = Math.floor(Date.now() / 1000);
  const headers = { 'Webhook-Id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,bm90IGl0 ${standard(key, 'evt_1', ts)}` };
  assert.equal(verifyWebhook(body, headers, secret).data.id, 'p1');
  assert.equal(verifyWebhook(Buffer.from(body), new Headers(headers), secret).type, 'pass.created');
});

test('a client-chosen secret without whsec_ is used as written', () => {
  const secret = 'a-client-chosen-secret-of-32-bytes!';
  const ts = Math.floor(Date.now() / 1000);
  const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': standard(Buffer.from(secret), 'evt_1', ts) };
  assert.equal(verifyWebhook(body, headers, secret).id, 'evt_1');
  const plain = { 'x-passforge-signature': 'sha256=' + createHmac('sha256', secret).update(body).digest('hex') };
  assert.equal(verifyWebhook(body, plain, secret).id, 'evt_1');
});

test('stale, tampered and unsigned deliveries are refused', () => {
  const key = Buffer.from('0123456789abcdef01234567');
  const secret = 'whsec_' + key.toString('base64');
  const old = Math.floor(Date.now() / 1000) - 3600;
  const stale = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(old), 'webhook-signature': standard(key, 'evt_1', old) };
  assert.throws(() => verifyWebhook(body, stale, secret), /more than 300 s/);
  assert.equal(verifyWebhook(body, stale, secret, { now: new Date(old * 1000) }).id, 'evt_1');
  const ts = Math.floor(Date.now() / 1000);
  const wrongId = { 'webhook-id': 'evt_2', 'webhook-timestamp': String(ts), 'webhook-signature': standard(key, 'evt_1', ts) };
  assert.throws(() => verifyWebhook(body, wrongId, secret), WebhookVerificationError);
  assert.throws(() => verifyWebhook(body, { 'x-passforge-signature': 'sha256=00' }, secret), WebhookVerificationError);
  assert.throws(() => verifyWebhook(body, {}, secret), /no signature headers/);
});
