// The README's quick start, end to end against a real `passforge serve`:
// a template from JSON, a pass with custom fields and labels, its download
// checked by ../shared/apple/verify_pkpass.py, a push notification that
// reaches (fake) APNs, and a webhook received and verified.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { Passforge, verifyWebhook } from '@passforge/client';

import { passJson, root, startReceiver, startServer, verifyPkpass, waitFor } from './harness.mjs';

let server;
let receiver;
before(async () => {
  server = await startServer({ apns: true });
  receiver = await startReceiver();
});
after(async () => {
  await receiver?.close();
  await server?.stop();
});

test('the quick start works as written', async () => {
  const baseUrl = server.baseUrl;
  const ADMIN_KEY = server.keys.admin;
  const API_KEY = server.keys.write;
  const webhookUrl = receiver.url;
  const file = join(server.dir, 'ticket.pkpass');

  // quickstart:begin
  const admin = new Passforge({ baseUrl, apiKey: ADMIN_KEY });
  const client = new Passforge({ baseUrl, apiKey: API_KEY });

  // 1. A template from JSON (admin key).
  const template = await admin.templates.create({
    name: 'VIP Event Ticket',
    passType: 'eventTicket',
    organizationName: 'Passforge Live',
    description: 'VIP entry',
    backgroundColor: '#1f2937',
    foregroundColor: '#ffffff',
    labelColor: '#9ca3af',
    logoText: 'Passforge Live',
    fields: [
      { key: 'customerName', label: 'Guest Name', placement: 'secondary', type: 'string', required: true },
      { key: 'tier', label: 'Tier', placement: 'auxiliary', default: 'VIP' },
    ],
    barcode: { format: 'qr' },
  });

  // 2. A webhook endpoint; keep its secret to verify deliveries.
  const hook = await admin.webhooks.create({ url: webhookUrl, events: ['pass.created', 'pass.updated'] });

  // 3. A pass with custom fields (a value, or {value, label} to relabel it).
  const pass = await client.passes.create({
    templateId: template.id,
    customFields: { customerName: { value: 'Ada Lovelace', label: 'GUEST' }, tier: 'Platinum' },
  });

  // 4. Download the signed .pkpass.
  await client.passes.downloadTo(pass.id, file);

  // 5. A message on the lock screen of every device holding the pass.
  await client.notifications.send(pass.id, 'Doors open at 19:00');

  // 6. In your webhook handler: verify, then act (deduplicate by event.id).
  //    const event = verifyWebhook(rawBody, request.headers, hook.secret);
  // quickstart:end

  assert.equal(template.id, 'vip-event-ticket');
  assert.equal(template.status, 'ready');
  assert.ok(hook.secret?.startsWith('whsec_'));
  assert.equal(pass.templateId, 'vip-event-ticket');
  assert.deepEqual(pass.customFields, { customerName: 'Ada Lovelace', tier: 'Platinum' });
  assert.deepEqual(pass.labels, { customerName: 'GUEST' });

  // The download: what Wallet would accept (the independent verifier), with the fields as sent.
  const pj = passJson(file);
  assert.equal(pj.backgroundColor, 'rgb(31, 41, 55)');
  const guest = pj.eventTicket.secondaryFields.find((f) => f.key === 'customerName');
  assert.deepEqual([guest.label, guest.value], ['GUEST', 'Ada Lovelace']);
  const report = verifyPkpass(file);
  if (report !== undefined) {
    assert.equal(report.errors, 0, JSON.stringify(report.files, null, 1));
  }

  // The webhook: signed with the secret, both schemes, and refused when tampered with.
  const created = await receiver.wait((e) => e.type === 'pass.created' && e.data.id === pass.id);
  const event = verifyWebhook(created.body, created.headers, hook.secret);
  assert.equal(event.type, 'pass.created');
  assert.equal(event.data.id, pass.id);
  const { 'webhook-signature': _, ...plainOnly } = created.headers;
  assert.equal(verifyWebhook(created.body, plainOnly, hook.secret).id, event.id);
  assert.throws(() => verifyWebhook(Buffer.concat([created.body, Buffer.from(' ')]), created.headers, hook.secret),
    { name: 'WebhookVerificationError' });
  assert.throws(() => verifyWebhook(created.body, created.headers, 'whsec_' + Buffer.alloc(24).toString('base64')),
    { name: 'WebhookVerificationError' });

  // The notification is a new version: its message is in the pass, a webhook tells of it.
  const updated = await receiver.wait((e) => e.type === 'pass.updated' && e.data.id === pass.id);
  assert.equal(verifyWebhook(updated.body, updated.headers, hook.secret).data.id, pass.id);
  const after = await client.passes.get(pass.id);
  assert.equal(after.version, 2);

  // A push: register a device the way Wallet does, send a notification, see it at (fake) APNs.
  if (server.apns !== undefined) {
    const device = 'sdk-test-device';
    const pushToken = 'ab'.repeat(32);
    const registration = await fetch(
      `${baseUrl}/apple/v1/devices/${device}/registrations/${pj.passTypeIdentifier}/${pj.serialNumber}`,
      {
        method: 'POST',
        headers: { authorization: `ApplePass ${pj.authenticationToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ pushToken }),
      },
    );
    assert.equal(registration.status, 201);
    const notified = await client.notifications.send(pass.id, 'Gate B is open');
    assert.equal(notified.version, 3);
    const push = await waitFor('a push at fake APNs', () =>
      server.apns.requests().find((r) => r.path === `/3/device/${pushToken}`));
    assert.equal(push.headers['apns-topic'], pj.passTypeIdentifier);
    assert.equal(push.status, 200);
  }
});

test('the README quick start is this test, word for word', () => {
  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const region = source.split('// quickstart:begin\n')[1].split('  // quickstart:end')[0];
  const expected = region.split('\n').map((l) => l.replace(/^ {2}/, '')).join('\n').trimEnd();
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = readme.match(/```ts\n\/\/ Quick start \(TypeScript\)\n([\s\S]*?)```/);
  assert.ok(block, 'README.md has a ```ts block starting with "// Quick start (TypeScript)"');
  const body = block[1].split('\n').filter((l) => !l.startsWith('import ') && !l.startsWith('const baseUrl') && !l.startsWith('const ADMIN_KEY') && !l.startsWith('const API_KEY') && !l.startsWith('const webhookUrl') && !l.startsWith('const file')).join('\n').trim();
  assert.equal(body, expected.trim());
});
