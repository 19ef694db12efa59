# frozen_string_literal: true

# passforge: the Ruby client of the passforge service, on Ruby's standard
# library only (net/http, json, openssl, securerandom). Operations come from
# the table generated from the service's /openapi.json
# (passforge/operations.rb); resources, typed errors, Idempotency-Keys,
# retries, pagination, downloads and webhook verification are written here.
#
#   client = Passforge::Client.new(base_url: 'http://127.0.0.1:8080', api_key: ENV['PASSFORGE_API_KEY'])
#   pass = client.passes.create('templateId' => 'event-ticket', 'customFields' => { 'attendee' => 'Ada' })
#   client.passes.download_to(pass['id'], 'ticket.pkpass')

require 'json'
require 'net/http'
require 'openssl'
require 'securerandom'
require 'time'
require 'uri'

require_relative 'passforge/operations'

module Passforge
  VERSION = '0.1.0'

  # One located problem of a request: a JSON pointer and what is wrong there.
  FieldProblem = Struct.new(:pointer, :detail)

  # Any answer of 400 or more, with its problem document.
  class Error < StandardError
    attr_reader :status, :code, :title, :detail, :problems, :request_id, :body

    def initialize(status, body, request_id = nil)
      @status = status
      @body = body.is_a?(Hash) ? body : nil
      @request_id = request_id
      b = @body || {}
      @code = (b['code'] || 'http_error').to_s
      @title = b['title'].to_s
      @detail = (b['detail'] || "HTTP #{status}").to_s
      @problems = Array(b['errors']).select { |e| e.is_a?(Hash) }.map { |e| FieldProblem.new(e['pointer'].to_s, e['detail'].to_s) }
      located = @problems.map { |p| "#{p.pointer}: #{p.detail}" }.join('; ')
      super(located.empty? ? @detail : "#{@detail} (#{located})")
    end
  end

  class BadRequestError < Error; end       # 400
  class AuthenticationError < Error; end   # 401
  class PermissionDeniedError < Error; end # 403
  class NotFoundError < Error; end         # 404
  class ConflictError < Error; end         # 409
  class GoneError < Error; end             # 410
  class ValidationError < Error; end       # 422: see #problems
  class RateLimitError < Error; end        # 429 after the retries
  class ServerError < Error; end           # 5xx

  # A webhook delivery whose signature, timestamp or headers do not check out.
  class WebhookVerificationError < StandardError; end

  ERRORS = {
    400 => BadRequestError, 401 => AuthenticationError, 403 => PermissionDeniedError,
    404 => NotFoundError, 409 => ConflictError, 410 => GoneError, 422 => ValidationError,
    429 => RateLimitError
  }.freeze

  # The typed error of an answer.
  def self.error_for(status, raw, request_id = nil)
    body = begin
      raw.nil? || raw.empty? ? nil : JSON.parse(raw)
    rescue JSON::ParserError
      nil
    end
    kind = ERRORS.fetch(status) { status >= 500 ? ServerError : Error }
    kind.new(status, body, request_id)
  end

  # Checks a delivery's signature with the endpoint's secret and returns its
  # event (a Hash; deduplicate by 'id': delivery is at least once). Standard
  # Webhooks headers are checked when present (signature and a timestamp
  # within the tolerance), else X-Passforge-Signature.
  def self.verify_webhook(body, headers, secret, tolerance: 300, now: Time.now)
    lower = headers.to_h.transform_keys { |k| k.to_s.downcase }.transform_values { |v| v.is_a?(Array) ? v.join(' ') : v.to_s }
    key = secret_key(secret)
    id, ts, sigs = lower.values_at('webhook-id', 'webhook-timestamp', 'webhook-signature')
    if id && ts && sigs
      raise WebhookVerificationError, "webhook-timestamp is not a number of seconds: #{ts}" unless ts.match?(/\A\d+\z/)
      if (now.to_i - ts.to_i).abs > tolerance
        raise WebhookVerificationError,
              "webhook-timestamp #{ts} is more than #{tolerance} s from now (#{now.to_i}): a replayed or delayed delivery"
      end
      expected = OpenSSL::HMAC.digest('SHA256', key, "#{id}.#{ts}.#{body}")
      ok = sigs.split(' ').any? do |s|
        version, value = s.split(',', 2)
        version == 'v1' && value && secure_equal(value.unpack1('m'), expected)
      end
      raise WebhookVerificationError, 'webhook-signature does not match the body with this secret' unless ok

      return parse_event(body)
    end
    plain = lower['x-passforge-signature']
    raise WebhookVerificationError, 'no signature headers: expected webhook-id, webhook-timestamp and webhook-signature, or X-Passforge-Signature' unless plain

    expected = OpenSSL::HMAC.hexdigest('SHA256', key, body.to_s)
    given = plain.start_with?('sha256=') ? plain.delete_prefix('sha256=').downcase : ''
    raise WebhookVerificationError, 'X-Passforge-Signature does not match the body with this secret' unless secure_equal(given, expected)

    parse_event(body)
  end

  UNRESERVED = /[A-Za-z0-9\-._~]/

  # Percent-encodes every UTF-8 byte but A–Z a–z 0–9 - . _ ~ (smart links).
  def self.percent_encode(s)
    s.to_s.b.each_char.map { |c| c.match?(UNRESERVED) ? c : format('%%%02X', c.ord) }.join
  end

  # The canonical string a smart link is signed over (format v1).
  def self.canonical_link(template, signed)
    pairs = signed.map { |k, v| "#{percent_encode(k)}=#{percent_encode(v)}" }.sort
    "passforge-link-v1\n#{percent_encode(template)}\n#{pairs.join('&')}"
  end

  # Mints a signed smart link (the README's "Signed smart links"): one pass
  # per template and link_id, made when the link is first opened.
  def self.sign_link(base_url:, template:, link_id:, key_id:, secret:, fields: {}, unsigned: {}, expires: nil)
    raise ArgumentError, 'link_id must be 1 to 128 of A-Z a-z 0-9 - . _ ~' unless link_id.match?(/\A[A-Za-z0-9\-._~]{1,128}\z/)

    signed = fields.map { |k, v| ["f.#{k}", v.to_s] }
    signed << ['lid', link_id]
    signed << ['exp', expires.to_i.to_s] if expires
    signed << ['kid', key_id]
    digest = OpenSSL::HMAC.digest('SHA256', secret, canonical_link(template, signed))
    sig = [digest].pack('m0').tr('+/', '-_').delete('=')
    query = (signed + unsigned.map { |k, v| ["u.#{k}", v.to_s] }).map { |k, v| "#{percent_encode(k)}=#{percent_encode(v)}" }.sort
    query << "sig=#{sig}"
    "#{base_url.sub(%r{/+\z}, '')}/s/#{percent_encode(template)}?#{query.join('&')}"
  end

  # The key of a secret: the base64 after whsec_, else the secret's own bytes.
  def self.secret_key(secret)
    return secret.b unless secret.start_with?('whsec_')

    b64 = secret.delete_prefix('whsec_')
    b64.match?(%r{\A[A-Za-z0-9+/]*={0,2}\z}) && (b64.length % 4).zero? ? b64.unpack1('m') : b64.b
  end

  def self.secure_equal(a, b)
    a.bytesize == b.bytesize && OpenSSL.fixed_length_secure_compare(a, b)
  end

  def self.parse_event(body)
    event = JSON.parse(body.to_s)
    raise WebhookVerificationError, 'the signed body is not a JSON object' unless event.is_a?(Hash)

    event
  rescue JSON::ParserError
    raise WebhookVerificationError, 'the signed body is not JSON'
  end
  private_class_method :secret_key, :secure_equal, :parse_event

  # Sends the operations of the generated table over one keep-alive connection.
  class Transport
    def initialize(base_url:, api_key:, token:, max_retries:, max_retry_delay:, on_retry:, timeout:)
      @base = URI(base_url.sub(%r{/+\z}, ''))
      @auth = api_key ? ['X-API-Key', api_key] : (token && ['Authorization', "Bearer #{token}"])
      @max_retries = max_retries
      @max_retry_delay = max_retry_delay
      @on_retry = on_retry
      @timeout = timeout
      @mutex = Mutex.new
    end

    # Calls an operation: path parameters, query, a JSON body or raw bytes.
    # Returns the Net::HTTPResponse of a success; raises a typed error otherwise.
    def call(operation, path: {}, query: {}, json: nil, raw: nil, content_type: nil, idempotency_key: nil, headers: {})
      method, template, = OPERATIONS.fetch(operation)
      uri = @base.dup
      uri.path = @base.path + template.gsub(/\{(\w+)\}/) do
        URI.encode_www_form_component(path.fetch(Regexp.last_match(1).to_sym) { path.fetch(Regexp.last_match(1)) }).gsub('+', '%20')
      end
      q = query.compact
      uri.query = q.empty? ? nil : URI.encode_www_form(q)
      request = Net::HTTP.const_get(method.capitalize).new(uri)
      request[@auth[0]] = @auth[1] if @auth
      request['Accept'] = 'application/json'
      headers.each { |k, v| request[k] = v }
      if json
        request.body = JSON.generate(json)
        request['Content-Type'] = content_type || 'application/json'
      elsif raw
        request.body = raw
        request['Content-Type'] = content_type || 'application/octet-stream'
      end
      request['Idempotency-Key'] = idempotency_key || SecureRandom.uuid if method == 'POST'
      send_with_retries(request)
    end

    private

    def send_with_retries(request)
      attempt = 0
      loop do
        attempt += 1
        response = @mutex.synchronize { http.request(request) }
        status = response.code.to_i
        if [429, 503].include?(status) && attempt <= @max_retries
          delay = Transport.retry_delay(response['Retry-After'], attempt)
          if delay <= @max_retry_delay
            @on_retry&.call(attempt: attempt, status: status, delay: delay, method: request.method, url: request.uri.to_s)
            sleep delay
            next
          end
        end
        raise Passforge.error_for(status, response.body, response['X-Request-Id']) if status >= 400

        return response
      end
    end

    def http
      return @http if @http&.started?

      @http = Net::HTTP.new(@base.host, @base.port)
      @http.use_ssl = @base.scheme == 'https'
      @http.open_timeout = @timeout
      @http.read_timeout = @timeout
      @http.start
    end

    public

    # Retry-After in seconds or as an HTTP date; else an exponential backoff.
    def self.retry_delay(retry_after, attempt)
      if retry_after
        return Float(retry_after) if retry_after.match?(/\A\d+(\.\d+)?\z/)

        begin
          return [Time.httpdate(retry_after) - Time.now, 0].max
        rescue ArgumentError
          nil
        end
      end
      [0.5 * (2**(attempt - 1)), 8.0].min
    end
  end

  # A resource: calls by operationId, answers as Hashes (the API's JSON).
  class Resource
    def initialize(transport)
      @t = transport
    end

    private

    def json(operation, **options)
      body = @t.call(operation, **options).body
      body.nil? || body.empty? ? nil : JSON.parse(body)
    end

    def bytes(operation, **options)
      @t.call(operation, **options).body.b
    end

    # A JSON body from a Hash and/or keywords (`create('templateId' => …)` passes
    # string keys as keywords in Ruby 3).
    def body_of(body, fields)
      (body || {}).merge(fields.transform_keys(&:to_s))
    end

    # Every item over all pages, as an Enumerator.
    def paginate(operation, path: {}, query: {})
      Enumerator.new do |y|
        cursor = nil
        loop do
          page = json(operation, path: path, query: query.merge(startingAfter: cursor))
          page['data'].each { |item| y << item }
          break unless page['hasMore'] && page['nextStartingAfter']

          cursor = page['nextStartingAfter']
        end
      end
    end

    # Writes through a temporary file beside the target: no partial file on failure.
    def write_atomically(file, data)
      tmp = "#{file}.#{Process.pid}.#{SecureRandom.hex(4)}.part"
      File.binwrite(tmp, data)
      File.rename(tmp, file)
      file
    ensure
      File.delete(tmp) if tmp && File.exist?(tmp)
    end
  end

  # Templates: designed from JSON, uploaded as zips, or dropped into the templates folder.
  class Templates < Resource
    def list = json('listTemplates')
    def get(id) = json('getTemplate', path: { id: id })
    def create(design = nil, idempotency_key: nil, **fields) = json('createTemplate', json: body_of(design, fields), idempotency_key: idempotency_key)
    def update(id, patch = nil, **fields) = json('patchTemplate', path: { id: id }, json: body_of(patch, fields), content_type: 'application/merge-patch+json')
    def upload(id, zip) = json('uploadTemplate', path: { id: id }, raw: zip, content_type: 'application/zip')
    def add_images(id, zip) = json('addTemplateImages', path: { id: id }, raw: zip, content_type: 'application/zip')
    def delete(id, force: nil) = json('deleteTemplate', path: { id: id }, query: { force: force })
  end

  # Passes: issued from a template and custom fields, changed, voided, downloaded.
  class Passes < Resource
    def create(body = nil, idempotency_key: nil, **fields) = json('createPass', json: body_of(body, fields), idempotency_key: idempotency_key)
    def get(id) = json('getPass', path: { id: id })
    def list(**query) = json('listPasses', query: query)
    def list_all(**query) = paginate('listPasses', query: query)
    def update(id, change = nil, **fields) = json('updatePass', path: { id: id }, json: body_of(change, fields))
    def void(id, idempotency_key: nil) = json('voidPass', path: { id: id }, idempotency_key: idempotency_key)
    def delete(id) = json('deletePass', path: { id: id })
    def download(id) = bytes('downloadPass', path: { id: id })
    def download_to(id, file) = write_atomically(file, download(id))
    def google_save_link(id) = json('googleSaveLink', path: { id: id })
    def preview(id, **query) = bytes('previewPass', path: { id: id }, query: query)
    def create_batch(batch = nil, idempotency_key: nil, **fields) = json('createBatch', json: body_of(batch, fields), idempotency_key: idempotency_key)
  end

  # At the door: scans, redemptions, counter adjustments, door lists and
  # offline uploads (a scan key suffices). A refusal raises ConflictError
  # (code already_used, voided, …).
  class Door < Resource
    def scan(request = nil, **fields) = json('scan', json: body_of(request, fields))
    def redeem(pass_id, gate: nil) = json('redeemPass', path: { id: pass_id }, json: { 'gate' => gate }.compact)
    def adjust(pass_id, changes = nil, **fields) = json('adjustPass', path: { id: pass_id }, json: body_of(changes, fields))
    def redemptions(pass_id, **query) = json('listRedemptions', path: { id: pass_id }, query: query)
    def redemptions_all(pass_id, **query) = paginate('listRedemptions', path: { id: pass_id }, query: query)
    def upload(items) = json('uploadRedemptions', json: { 'items' => items })

    # A template's door list and its ETag; nil when etag is still current.
    def scan_list(template_id, etag: nil)
      response = @t.call('scanList', path: { id: template_id }, headers: etag ? { 'If-None-Match' => etag } : {})
      return nil if response.code == '304'

      [JSON.parse(response.body), response['ETag']]
    end
  end

  # Push notifications: a message on the lock screen of every device holding the pass.
  class Notifications < Resource
    def send_message(pass_id, message:, idempotency_key: nil)
      json('pushNotification', path: { id: pass_id }, json: { 'message' => message }, idempotency_key: idempotency_key)
    end
    alias send send_message
  end

  # Links (/l/{code}) that hand a pass to whoever opens them.
  class Links < Resource
    def create(link = nil, idempotency_key: nil, **fields) = json('createLink', json: body_of(link, fields), idempotency_key: idempotency_key)
    def get(id) = json('getLink', path: { id: id })
    def list = json('listLinks')
    def revoke(id) = json('revokeLink', path: { id: id })
    # Exchanges the one-time code the link's returnUrl received (once, within ten minutes).
    def exchange(id, code) = json('exchangeLinkCode', path: { id: id }, json: { code: code })
  end

  # The people holding passes, and their tokens.
  class Users < Resource
    def create(user = nil, idempotency_key: nil, **fields) = json('createUser', json: body_of(user, fields), idempotency_key: idempotency_key)
    def get(id) = json('getUser', path: { id: id })
    def delete(id, passes: nil) = json('deleteUser', path: { id: id }, query: { passes: passes })
    def create_token(id, expires_in: nil) = json('createUserToken', path: { id: id }, json: { 'expiresIn' => expires_in }.compact)
    def revoke_token(id, token) = json('revokeUserToken', path: { id: id, token: token })
  end

  # Installations of passes in wallets.
  class Connections < Resource
    def list(**query) = json('listConnections', query: query)
    def list_all(**query) = paginate('listConnections', query: query)
    def get(id) = json('getConnection', path: { id: id })
    def delete(id) = json('deleteConnection', path: { id: id })
    def sync(id) = json('syncConnection', path: { id: id })
  end

  # Webhook endpoints and their deliveries.
  class Webhooks < Resource
    def create(webhook = nil, idempotency_key: nil, **fields) = json('createWebhook', json: body_of(webhook, fields), idempotency_key: idempotency_key)
    def list = json('listWebhooks')
    def get(id) = json('getWebhook', path: { id: id })
    def delete(id) = json('deleteWebhook', path: { id: id })
    def deliveries(id, **query) = json('listDeliveries', path: { id: id }, query: query)
    def deliveries_all(id, **query) = paginate('listDeliveries', path: { id: id }, query: query)
    def redeliver(id, delivery) = json('redeliver', path: { id: id, delivery: delivery })
    def test(id) = json('testWebhook', path: { id: id })
  end

  # Batch jobs.
  class Jobs < Resource
    def get(id) = json('getJob', path: { id: id })
    def download(id) = bytes('downloadJob', path: { id: id })
    def download_to(id, file) = write_atomically(file, download(id))

    # Polls until the job has completed; the finished job.
    def wait(id, interval: 0.5, timeout: 600)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      loop do
        job = get(id)
        return job if job['status'] == 'completed'
        raise Timeout::Error, "job #{id} is still #{job['status']} after #{timeout} s" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

        sleep interval
      end
    end
  end

  # What a user token reaches: the user's own passes and installations.
  class Me < Resource
    def passes = json('myPasses')
    def connections = json('myConnections')
    def download(id) = bytes('myPassDownload', path: { id: id })
  end

  # The passforge client. Credentials: api_key (pfk_…, sent as X-API-Key;
  # default PASSFORGE_API_KEY) or token (a JWT or a user token pfu_…, as a
  # bearer). 429 and 503 answers are retried max_retries times after
  # Retry-After; every POST carries an Idempotency-Key, the same on its retries.
  class Client
    attr_reader :templates, :passes, :notifications, :links, :users, :connections, :webhooks, :jobs, :me, :door

    def initialize(base_url: ENV.fetch('PASSFORGE_URL', 'http://127.0.0.1:8080'), api_key: nil, token: nil,
                   max_retries: 3, max_retry_delay: 60, timeout: 60, on_retry: nil)
      api_key ||= ENV['PASSFORGE_API_KEY'] unless token
      t = Transport.new(base_url: base_url, api_key: api_key, token: token, max_retries: max_retries,
                        max_retry_delay: max_retry_delay, on_retry: on_retry, timeout: timeout)
      @templates = Templates.new(t)
      @passes = Passes.new(t)
      @notifications = Notifications.new(t)
      @links = Links.new(t)
      @users = Users.new(t)
      @connections = Connections.new(t)
      @webhooks = Webhooks.new(t)
      @jobs = Jobs.new(t)
      @me = Me.new(t)
      @door = Door.new(t)
    end
  end
end
