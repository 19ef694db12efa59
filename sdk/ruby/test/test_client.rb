# frozen_string_literal: true

# The Ruby client against a real `passforge serve`: the quick start (template
# from JSON, pass with custom fields and labels, download checked by
# verify_pkpass.py, a notification, a webhook verified), typed errors,
# pagination, idempotency, 429 retries, and verify_webhook on its own.

require 'minitest/autorun'
require 'base64'
require_relative 'harness'
require_relative '../lib/passforge'

SERVER = Harness.start_server
LIMITED = Harness.start_server(rate_limit_per_minute: 60, rate_limit_burst: 2)
Minitest.after_run do
  SERVER.stop
  LIMITED.stop
end

TICKET = { 'attendee' => 'Grace Hopper', 'seat' => 'C3', 'doorsOpen' => '2027-06-12T19:00:00+01:00' }.freeze

class QuickStartTest < Minitest::Test
  def test_the_quick_start_works
    receiver = Harness::Receiver.new
    admin = Passforge::Client.new(base_url: SERVER.base_url, api_key: SERVER.keys[:admin])
    client = Passforge::Client.new(base_url: SERVER.base_url, api_key: SERVER.keys[:write])
    template = admin.templates.create(
      'name' => 'VIP Event Ticket', 'passType' => 'eventTicket', 'organizationName' => 'Passforge Live',
      'backgroundColor' => '#1f2937', 'foregroundColor' => '#ffffff', 'labelColor' => '#9ca3af',
      'fields' => [{ 'key' => 'customerName', 'label' => 'Guest Name', 'placement' => 'secondary', 'required' => true }],
      'barcode' => { 'format' => 'qr' }
    )
    assert_equal 'vip-event-ticket', template['id']
    hook = admin.webhooks.create('url' => receiver.url, 'events' => ['pass.created'])
    pass = client.passes.create('templateId' => template['id'],
                                'customFields' => { 'customerName' => { 'value' => 'Ada Lovelace', 'label' => 'GUEST' } })
    assert_equal({ 'customerName' => 'GUEST' }, pass['labels'])
    Dir.mktmpdir do |dir|
      file = client.passes.download_to(pass['id'], File.join(dir, 'ticket.pkpass'))
      field = Harness.pass_json(file)['eventTicket']['secondaryFields'].find { |f| f['key'] == 'customerName' }
      assert_equal %w[GUEST Ada\ Lovelace], [field['label'], field['value']]
      report = Harness.verify_pkpass(file)
      assert_equal 0, report['errors'], JSON.pretty_generate(report['files']) if report
    end
    notified = client.notifications.send(pass['id'], message: 'Doors open at 19:00')
    assert_equal 2, notified['version']
    headers, body = receiver.wait { |e| e['type'] == 'pass.created' && e['data']['id'] == pass['id'] }
    assert_equal pass['id'], Passforge.verify_webhook(body, headers, hook['secret'])['data']['id']
    assert_raises(Passforge::WebhookVerificationError) { Passforge.verify_webhook("#{body} ", headers, hook['secret']) }
  ensure
    receiver&.close
  end
end

class ApiTest < Minitest::Test
  def client(key = :write) = Passforge::Client.new(base_url: SERVER.base_url, api_key: SERVER.keys[key])

  def test_typed_errors_with_their_problems
    e = assert_raises(Passforge::AuthenticationError) do
      Passforge::Client.new(base_url: SERVER.base_url, api_key: 'pfk_nope_nope').passes.list
    end
    assert_equal 401, e.status
    assert e.request_id
    assert_raises(Passforge::PermissionDeniedError) { client(:read).passes.create('templateId' => 'event-ticket') }
    assert_raises(Passforge::NotFoundError) { client.passes.get('00000000-0000-4000-8000-000000000000') }
    back = client.links.create('templateId' => 'event-ticket', 'returnUrl' => 'https://app.example/done',
                               'customFields' => { 'attendee' => 'Rb Return', 'seat' => 'R9',
                                                   'doorsOpen' => '2027-06-12T19:00:00+01:00' })
    e = assert_raises(Passforge::NotFoundError) { client.links.exchange(back['id'], 'pfc_not-a-code') }
    assert_equal 'code_not_found', e.code
    e = assert_raises(Passforge::ValidationError) do
      client.passes.create('templateId' => 'event-ticket', 'relevantDate' => 'soon', 'customFields' => { 'attendee' => 'x' })
    end
    assert_equal 'validation_failed', e.code
    pointers = e.problems.map(&:pointer)
    assert_includes pointers, '/relevantDate'
    assert_includes pointers, '/customFields/seat'
  end

  def test_idempotency_and_pagination
    c = client
    body = { 'templateId' => 'event-ticket', 'customFields' => TICKET }
    first = c.passes.create(body, idempotency_key: 'rb-sdk-key-1')
    assert_equal first['id'], c.passes.create(body, idempotency_key: 'rb-sdk-key-1')['id']
    refute_equal first['id'], c.passes.create(body)['id']

    user = c.users.create('externalId' => "rb-pager-#{Process.clock_gettime(Process::CLOCK_REALTIME, :nanosecond)}")
    ids = 5.times.map { |i| c.passes.create(body.merge('userId' => user['id'], 'customFields' => TICKET.merge('seat' => "R#{i}")))['id'] }
    page = c.passes.list(userId: user['id'], limit: 2)
    assert_equal 2, page['data'].size
    assert page['hasMore']
    assert_equal ids.sort, c.passes.list_all(userId: user['id'], limit: 2).map { |p| p['id'] }.sort
  end

  def test_a_design_patch_re_versions_its_passes
    admin = client(:admin)
    design = admin.templates.create('id' => 'rb-sdk-design', 'name' => 'Rb SDK Design', 'passType' => 'eventTicket',
                                    'organizationName' => 'Passforge',
                                    'fields' => [{ 'key' => 'guest', 'label' => 'Guest', 'placement' => 'primary' }])
    pass = client.passes.create('templateId' => design['id'], 'customFields' => { 'guest' => 'Ada' })
    assert_equal 'ready', admin.templates.update(design['id'], 'backgroundColor' => '#111827')['status']
    assert_equal 2, client.passes.get(pass['id'])['version']
    assert_raises(Passforge::ConflictError) { admin.templates.update('event-ticket', 'logoText' => 'x') }
  end

  def test_at_the_door
    c = client
    ticket = c.passes.create('templateId' => 'event-ticket', 'customFields' => TICKET.merge('seat' => 'R9'))
    assert c.door.scan('message' => ticket['serialNumber'])['canUse']
    assert_equal 2, c.door.redeem(ticket['id'], gate: 'Rb gate')['pass']['version']
    e = assert_raises(Passforge::ConflictError) { c.door.redeem(ticket['id']) }
    assert_equal 'already_used', e.code
    assert_equal %w[ok ok already_used], c.door.redemptions_all(ticket['id'], limit: 1).map { |r| r['outcome'] }
    list, etag = c.door.scan_list('event-ticket')
    assert(list['data'].any? { |d| d['passId'] == ticket['id'] && d['remaining'].zero? })
    assert_nil c.door.scan_list('event-ticket', etag: etag)
  end

  def test_a_429_is_retried_after_retry_after
    retries = []
    c = Passforge::Client.new(base_url: LIMITED.base_url, api_key: LIMITED.keys[:read], on_retry: ->(r) { retries << r })
    4.times { refute_empty c.templates.list['data'] }
    refute_empty retries, 'the burst of 2 ran out, so some call waited'
    assert(retries.all? { |r| r[:status] == 429 && r[:delay] >= 1 })
    no_retry = Passforge::Client.new(base_url: LIMITED.base_url, api_key: LIMITED.keys[:admin], max_retries: 0)
    assert_raises(Passforge::RateLimitError) { 5.times { no_retry.templates.list } }
  end
end

class SmartLinkTest < Minitest::Test
  def test_sign_link_mints_the_readme_test_vector
    url = Passforge.sign_link(base_url: 'https://passes.example.com', template: 'event-ticket',
                              fields: { 'attendee' => "Zoë O'Brien", 'seat' => 'A12' }, link_id: 'order-1001',
                              expires: 1_812_823_200, key_id: 'lk_test', secret: 'lks_test-secret-do-not-use')
    assert_equal 'https://passes.example.com/s/event-ticket?exp=1812823200&f.attendee=Zo%C3%AB%20O%27Brien' \
                 '&f.seat=A12&kid=lk_test&lid=order-1001&sig=EU6QTu8wowpjcdsZpki9PQdX0yDMoUf_Xz2aQT4iKJk', url
    assert_raises(ArgumentError) { Passforge.sign_link(base_url: 'x', template: 't', link_id: 'a b', key_id: 'k', secret: 's') }
  end
end

class VerifyWebhookTest < Minitest::Test
  BODY = JSON.generate('id' => 'evt_1', 'type' => 'pass.created', 'data' => { 'id' => 'p1' })
  KEY = '0123456789abcdef01234567'

  def signed(key, id, ts) = "v1,#{Base64.strict_encode64(OpenSSL::HMAC.digest('SHA256', key, "#{id}.#{ts}.#{BODY}"))}"

  def test_both_schemes_and_both_kinds_of_secret
    ts = Time.now.to_i
    secret = "whsec_#{Base64.strict_encode64(KEY)}"
    headers = { 'Webhook-Id' => 'evt_1', 'webhook-timestamp' => ts.to_s, 'webhook-signature' => "v1,bm90IGl0 #{signed(KEY, 'evt_1', ts)}" }
    assert_equal 'p1', Passforge.verify_webhook(BODY, headers, secret)['data']['id']
    plain = 'a-client-chosen-secret-of-32-bytes!'
    sig = { 'X-Passforge-Signature' => "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', plain, BODY)}" }
    assert_equal 'evt_1', Passforge.verify_webhook(BODY, sig, plain)['id']
  end

  def test_stale_tampered_and_unsigned_are_refused
    old = Time.now.to_i - 3600
    secret = "whsec_#{Base64.strict_encode64(KEY)}"
    stale = { 'webhook-id' => 'evt_1', 'webhook-timestamp' => old.to_s, 'webhook-signature' => signed(KEY, 'evt_1', old) }
    assert_raises(Passforge::WebhookVerificationError) { Passforge.verify_webhook(BODY, stale, secret) }
    assert_equal 'evt_1', Passforge.verify_webhook(BODY, stale, secret, now: Time.at(old))['id']
    assert_raises(Passforge::WebhookVerificationError) { Passforge.verify_webhook(BODY, { 'x-passforge-signature' => 'sha256=00' }, secret) }
    assert_raises(Passforge::WebhookVerificationError) { Passforge.verify_webhook(BODY, {}, secret) }
  end
end
