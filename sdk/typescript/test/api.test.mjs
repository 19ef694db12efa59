// Typed errors, pagination, idempotency and retries against a real `passforge serve`.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  Passforge,
  PermissionDeniedError,
  ValidationError,
} from '@passforge/client';

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { root, startServer, zipMember } from './harness.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

test('401, 403, 404, 409 and 422 are typed errors with their problems', async () => {
  const anonymous = new Passforge({ baseUrl: server.baseUrl, apiKey: 'pfk_nope_nope' });
  await assert.rejects(anonymous.passes.list(), (e) => {
    assert.ok(e instanceof AuthenticationError);
    assert.equal(e.status, 401);
    assert.ok(e.requestId, 'the request id is kept');
    return true;
  });

  const reader = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.read });
  await assert.rejects(reader.passes.create({ templateId: 'event-ticket', customFields: {} }), (e) => {
    assert.ok(e instanceof PermissionDeniedError);
    assert.equal(e.status, 403);
    return true;
  });

  const client = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.write });
  await assert.rejects(client.passes.get('00000000-0000-4000-8000-000000000000'), NotFoundError);

  // A link that returns to the app: its code is exchanged with the link id.
  const back = await client.links.create({
    templateId: 'event-ticket',
    customFields: { attendee: 'TS Return', seat: 'T9', doorsOpen: '2027-06-12T19:00:00+01:00' },
    returnUrl: 'https://app.example/done',
  });
  assert.equal(back.returnUrl, 'https://app.example/done');
  await assert.rejects(client.links.exchange(back.id, 'pfc_not-a-code'), (e) => {
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.code, 'code_not_found');
    return true;
  });

  await assert.rejects(
    client.passes.create({ templateId: 'event-ticket', relevantDate: 'soon', customFields: { attendee: 'x' } }),
    (e) => {
      assert.ok(e instanceof ValidationError);
      assert.equal(e.status, 422);
      assert.equal(e.code, 'validation_failed');
      const pointers = e.problems.map((p) => p.pointer);
      assert.ok(pointers.includes('/relevantDate'), JSON.stringify(e.problems));
      assert.ok(pointers.includes('/customFields/seat'), JSON.stringify(e.problems));
      assert.match(e.message, /\/customFields\/seat/);
      return true;
    },
  );

  const admin = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.admin });
  await assert.rejects(admin.templates.create({ name: 'Event Ticket', id: 'event-ticket', passType: 'eventTicket', organizationName: 'x', fields: [] }),
    ConflictError);
});

test('creates carry an Idempotency-Key: the same key replays the first answer', async () => {
  const client = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.write });
  const body = { templateId: 'event-ticket', customFields: { attendee: 'Grace Hopper', seat: 'C3', doorsOpen: '2027-06-12T19:00:00+01:00' } };
  const first = await client.passes.create(body, { idempotencyKey: 'sdk-test-key-1' });
  const again = await client.passes.create(body, { idempotencyKey: 'sdk-test-key-1' });
  assert.equal(again.id, first.id, 'one pass for one key');
  const other = await client.passes.create(body);
  assert.notEqual(other.id, first.id, 'a new call gets a new key');

  // The automatic key is sent: seen from the wire.
  const seen = [];
  const watching = new Passforge({
    baseUrl: server.baseUrl,
    apiKey: server.keys.write,
    fetch: (req) => { seen.push(req.headers.get('idempotency-key')); return fetch(req); },
  });
  await watching.passes.create(body);
  assert.match(seen[0] ?? '', /^[0-9a-f-]{36}$/);
});

test('pagination walks every page with an async iterator', async () => {
  const client = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.write });
  const user = await client.users.create({ externalId: `pager-${Date.now()}` });
  const ids = [];
  for (let i = 0; i < 7; i++) {
    const p = await client.passes.create({
      templateId: 'event-ticket',
      userId: user.id,
      customFields: { attendee: `Guest ${i}`, seat: `R${i}`, doorsOpen: '2027-06-12T19:00:00+01:00' },
    });
    ids.push(p.id);
  }
  const firstPage = await client.passes.list({ userId: user.id, limit: 3 });
  assert.equal(firstPage.data.length, 3);
  assert.equal(firstPage.hasMore, true);
  const seen = [];
  for await (const p of client.passes.listAll({ userId: user.id, limit: 3 })) {
    seen.push(p.id);
  }
  assert.deepEqual([...seen].sort(), [...ids].sort(), 'every pass once, over three pages');
});

test('download gives the signed bytes, and a user token reaches only its own passes', async () => {
  const client = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.write });
  const user = await client.users.create({ externalId: `holder-${Date.now()}` });
  const pass = await client.passes.create({
    templateId: 'event-ticket',
    userId: user.id,
    customFields: { attendee: 'Katherine Johnson', seat: 'D4', doorsOpen: '2027-06-12T19:00:00+01:00' },
  });
  const bytes = await client.passes.download(pass.id);
  assert.deepEqual([...bytes.subarray(0, 2)], [0x50, 0x4b], 'a zip');
  const token = await client.users.createToken(user.id, { expiresIn: 600 });
  const me = new Passforge({ baseUrl: server.baseUrl, token: token.token });
  const mine = await me.me.passes();
  assert.deepEqual(mine.data.map((p) => p.id), [pass.id]);
  assert.deepEqual(await me.me.download(pass.id), bytes);
  await assert.rejects(me.passes.list(), PermissionDeniedError);
});

test('a design is patched and given images; its passes get new versions', async () => {
  const admin = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.admin });
  const client = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.write });
  const design = await admin.templates.create({
    id: 'ts-sdk-design', name: 'TS SDK Design', passType: 'eventTicket', organizationName: 'Passforge',
    fields: [{ key: 'guest', label: 'Guest', placement: 'primary', required: true }],
  });
  const pass = await client.passes.create({ templateId: design.id, customFields: { guest: 'Ada' } });
  const patched = await admin.templates.update(design.id, { backgroundColor: '#111827', logoText: 'Patched' });
  assert.equal(patched.status, 'ready');
  assert.equal((await client.passes.get(pass.id)).version, 2);

  // A zip of one PNG (made with Python's zipfile: node has no zip writer).
  const strip = join(root, 'templates/coupon/strip.png');
  const zip = execFileSync('python3', ['-c', `
import io, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.write(sys.argv[1], "strip.png")
sys.stdout.buffer.write(buf.getvalue())`, strip]);
  await admin.templates.addImages(design.id, new Uint8Array(zip));
  assert.equal((await client.passes.get(pass.id)).version, 3);
  const dir = mkdtempSync(join(tmpdir(), 'ts-sdk-'));
  try {
    const file = await client.passes.downloadTo(pass.id, join(dir, 'pass.pkpass'));
    assert.deepEqual(zipMember(file, 'strip.png'), readFileSync(strip), 'the strip is in the pass');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('at the door: scan, redeem once, adjust points, the door list and offline uploads', async () => {
  const writer = new Passforge({ baseUrl: server.baseUrl, apiKey: server.keys.write });
  const ticket = await writer.passes.create({
    templateId: 'event-ticket',
    customFields: { attendee: 'Ada Lovelace', seat: 'D9', doorsOpen: '2027-06-12T19:00:00+01:00' },
  });
  const scanned = await writer.door.scan({ message: ticket.serialNumber, gate: 'TS gate' });
  assert.equal(scanned.canUse, true);
  assert.equal(scanned.holder.attendee, 'Ada Lovelace');
  const used = await writer.door.redeem(ticket.id, { gate: 'TS gate' });
  assert.equal(used.pass.version, 2);
  await assert.rejects(writer.door.redeem(ticket.id), (e) => {
    assert.ok(e instanceof ConflictError);
    assert.equal(e.code, 'already_used');
    assert.match(e.detail, /TS gate/);
    return true;
  });
  const history = [];
  for await (const r of writer.door.redemptionsAll(ticket.id, { limit: 1 })) {
    history.push(r.outcome);
  }
  assert.deepEqual(history, ['ok', 'ok', 'already_used'], 'the scan, the redemption, the refusal');

  const card = await writer.passes.create({
    templateId: 'store-card',
    customFields: { memberName: 'Grace Hopper', memberId: '12345678', points: 5 },
  });
  const adjusted = await writer.door.adjust(card.id, { points: 10 });
  assert.equal(adjusted.pass.customFields.points, 15);
  await assert.rejects(writer.door.adjust(card.id, { points: -100 }), (e) => {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.problems[0].pointer, '/points');
    return true;
  });

  const first = await writer.door.scanList('event-ticket');
  assert.ok(first.list.data.some((d) => d.passId === ticket.id && d.remaining === 0));
  assert.equal(await writer.door.scanList('event-ticket', { etag: first.etag }), undefined, '304: the list is current');
  const items = [{ clientId: `ts-${ticket.id}`, message: ticket.serialNumber, at: '2027-06-12T19:05:00+01:00', gate: 'Offline' }];
  const up = await writer.door.upload(items);
  assert.equal(up.results[0].outcome, 'already_used');
  assert.equal((await writer.door.upload(items)).duplicates, 1);
});
