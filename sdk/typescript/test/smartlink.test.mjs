// signLink against the README's test vector (the same one the service's
// own tests pin).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { canonicalLink, signLink } from '@passforge/client';

test('signLink mints the README test vector', () => {
  const url = signLink({
    baseUrl: 'https://passes.example.com',
    template: 'event-ticket',
    fields: { attendee: "Zoë O'Brien", seat: 'A12' },
    linkId: 'order-1001',
    expires: 1812823200,
    keyId: 'lk_test',
    secret: 'lks_test-secret-do-not-use',
  });
  assert.equal(
    url,
    'https://passes.example.com/s/event-ticket?exp=1812823200&f.attendee=Zo%C3%AB%20O%27Brien&f.seat=A12&kid=lk_test&lid=order-1001&sig=EU6QTu8wowpjcdsZpki9PQdX0yDMoUf_Xz2aQT4iKJk',
  );
  assert.equal(
    canonicalLink('event-ticket', [['f.seat', 'A12'], ['lid', 'order-1001']]),
    'passforge-link-v1\nevent-ticket\nf.seat=A12&lid=order-1001',
  );
  assert.throws(() => signLink({ baseUrl: 'x', template: 't', linkId: 'a b', keyId: 'k', secret: 's' }));
});
