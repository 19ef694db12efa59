# frozen_string_literal: true

# Starts a real `passforge serve` (the binary `cargo test` built) on a fresh
# SQLite file with a copy of the example templates and keys of each scope,
# and a webhook receiver on a TCPServer.

require 'fileutils'
require 'json'
require 'net/http'
require 'open3'
require 'socket'
require 'tmpdir'

module Harness
  ROOT = File.expand_path('../../..', __dir__)
  SHARED = File.expand_path('../shared', ROOT)
  BIN = ENV.fetch('PASSFORGE_BIN', File.join(ROOT, 'target/debug/passforge'))

  # A file in ../shared, or nil (saying plainly that the external check was
  # not run), unless PASSFORGE_REQUIRE_SHARED is set, which makes it a failure.
  def self.shared_path(rel)
    path = File.join(SHARED, rel)
    return path if File.exist?(path)
    raise "#{path} is missing and PASSFORGE_REQUIRE_SHARED is set" if ENV['PASSFORGE_REQUIRE_SHARED']

    puts "NOTE: external check NOT run: #{path} is missing (clone the project beside shared/)"
    nil
  end

  def self.wait_for(what, timeout: 30)
    deadline = Time.now + timeout
    loop do
      value = yield
      return value if value
      raise "timed out waiting for #{what}" if Time.now > deadline

      sleep 0.05
    end
  end

  Server = Struct.new(:base_url, :keys, :dir, :pid) do
    def stop
      Process.kill('TERM', pid)
      Process.wait(pid)
      FileUtils.rm_rf(dir)
    end
  end

  def self.start_server(rate_limit_per_minute: 100_000, rate_limit_burst: 100_000)
    raise "#{BIN} is missing: build it first (cargo test builds it), or set PASSFORGE_BIN" unless File.executable?(BIN)

    dir = Dir.mktmpdir('passforge-sdk-rb-')
    FileUtils.cp_r(File.join(ROOT, 'templates'), File.join(dir, 'templates'))
    env = ENV.keys.select { |k| k.start_with?('PASSFORGE_') }.to_h { |k| [k, nil] }
    env.merge!('PASSFORGE_DATABASE_URL' => "sqlite://#{dir}/passforge.db", 'PASSFORGE_LOG' => 'warn')
    keys = { admin: 'admin', write: 'read,write', read: 'read' }.to_h do |name, scopes|
      out, err, status = Open3.capture3(env, BIN, 'keys', 'create', '--name', "sdk-#{name}", '--scopes', scopes)
      raise "keys create: #{err}" unless status.success?

      [name, out[/pfk_[A-Za-z0-9_-]+/]]
    end
    port = TCPServer.open('127.0.0.1', 0) { |s| s.addr[1] }
    base_url = "http://127.0.0.1:#{port}"
    pid = Process.spawn(env, BIN, 'serve', '--listen', "127.0.0.1:#{port}", '--templates', File.join(dir, 'templates'),
                        '--public-url', base_url, '--webhooks-allow-private-networks',
                        '--rate-limit-per-minute', rate_limit_per_minute.to_s, '--rate-limit-burst', rate_limit_burst.to_s,
                        '--google-api-url', 'http://127.0.0.1:9', '--google-token-url', 'http://127.0.0.1:9/token',
                        chdir: dir, out: File::NULL)
    wait_for('passforge serve to answer /healthz') do
      raise 'passforge serve exited' if Process.wait(pid, Process::WNOHANG)

      begin
        Net::HTTP.get_response(URI("#{base_url}/healthz")).code == '200'
      rescue SystemCallError
        false
      end
    end
    Server.new(base_url, keys, dir, pid)
  end

  # A webhook receiver: records each delivery's headers and raw body.
  class Receiver
    attr_reader :url, :deliveries

    def initialize
      @server = TCPServer.new('127.0.0.1', 0)
      @url = "http://127.0.0.1:#{@server.addr[1]}/hooks/passforge"
      @deliveries = Queue.new
      @seen = []
      @thread = Thread.new { loop { handle(@server.accept) } }
    end

    def wait(timeout: 30)
      Harness.wait_for('a webhook delivery', timeout: timeout) do
        @seen << @deliveries.pop until @deliveries.empty?
        @seen.find { |_, body| yield JSON.parse(body) }
      end
    end

    def close
      @thread.kill
      @server.close
    end

    private

    def handle(socket)
      request_line = socket.gets
      return socket.close unless request_line

      headers = {}
      while (line = socket.gets) && line != "\r\n"
        name, value = line.split(':', 2)
        headers[name.strip.downcase] = value.strip
      end
      body = socket.read(headers['content-length'].to_i)
      @deliveries << [headers, body]
      socket.write("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
      socket.close
    rescue IOError, SystemCallError
      nil
    end
  end

  # pass.json of a .pkpass (read with Python's zipfile: Ruby's standard library has no zip reader).
  def self.pass_json(file)
    out, status = Open3.capture2('python3', '-c',
                                 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read("pass.json").decode())', file)
    raise 'could not read pass.json' unless status.success?

    JSON.parse(out)
  end

  # ../shared/apple/verify_pkpass.py's JSON report, or nil without ../shared.
  def self.verify_pkpass(file)
    script = shared_path('apple/verify_pkpass.py') or return nil
    out, = Open3.capture2('python3', script, '--json', '--ca', File.join(ROOT, 'certs-example/wwdr-ca.pem'), file)
    JSON.parse(out)
  end
end
