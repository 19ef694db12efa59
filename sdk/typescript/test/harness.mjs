// Starts a real `passforge serve` (the binary `cargo test` built) on a fresh
// SQLite file with a copy of the example templates, API keys of each scope,
// and, where ../shared is beside the repository, fake_apns.py for pushes.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const root = resolve(here, '../../..');
/** `../shared` beside the repository. */
export const shared = resolve(root, '../shared');
const bin = process.env.PASSFORGE_BIN ?? join(root, 'target/debug/passforge');

/**
 * A file in ../shared, or undefined (saying plainly that the external check
 * was not run) — unless PASSFORGE_REQUIRE_SHARED is set, which makes it a failure.
 */
export function sharedPath(rel) {
  const path = join(shared, rel);
  if (existsSync(path)) {
    return path;
  }
  if (process.env.PASSFORGE_REQUIRE_SHARED) {
    throw new Error(`${path} is missing and PASSFORGE_REQUIRE_SHARED is set`);
  }
  console.log(`NOTE: external check NOT run: ${path} is missing (clone the project beside shared/)`);
  return undefined;
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(50);
  }
}

function openssl(cwd, args) {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** fake_apns.py with a generated server certificate, or undefined without ../shared. */
async function startFakeApns(dir) {
  const script = sharedPath('apns/fake_apns.py');
  if (script === undefined) {
    return undefined;
  }
  openssl(dir, ['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=fake APNs test CA',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign']);
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'ext.cnf', '-out', 'server.pem']);
  writeFileSync(join(dir, 'script.json'), JSON.stringify({ default: { status: 200 } }));
  const child = spawn('python3', [script, '--cert', 'server.pem', '--key', 'server.key', '--port', '0', '--port-file', 'port',
    '--log', 'requests.jsonl', '--script', 'script.json', '--client-ca', join(root, 'certs-example/wwdr-ca.pem'),
    '--exit-on-stdin-eof', '--max-lifetime', '600'], { cwd: dir, stdio: ['pipe', 'ignore', 'inherit'] });
  const port = await waitFor('fake_apns.py to listen', () => {
    if (child.exitCode !== null) {
      throw new Error(`fake_apns.py exited with ${child.exitCode} (it needs \`pip install h2\`)`);
    }
    return existsSync(join(dir, 'port')) && readFileSync(join(dir, 'port'), 'utf8').trim();
  });
  return {
    url: `https://127.0.0.1:${port}`,
    ca: join(dir, 'ca.pem'),
    child,
    /** The requests fake APNs received (one JSON object each). */
    requests() {
      const log = join(dir, 'requests.jsonl');
      return existsSync(log)
        ? readFileSync(log, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
            try { return [JSON.parse(l)]; } catch { return []; }
          })
        : [];
    },
  };
}

function createKey(env, name, scopes) {
  const out = execFileSync(bin, ['keys', 'create', '--name', name, '--scopes', scopes], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const key = out.match(/pfk_[A-Za-z0-9_-]+/)?.[0];
  if (!key) {
    throw new Error(`no key in: ${out}`);
  }
  return key;
}

/**
 * Starts `passforge serve`. Options: `rateLimitPerMinute`, `rateLimitBurst`, `apns` (start fake APNs).
 * Returns {baseUrl, keys: {admin, write, read}, apns, stop()}.
 */
export async function startServer(options = {}) {
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: build it first (cargo test builds it), or set PASSFORGE_BIN`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'passforge-sdk-'));
  cpSync(join(root, 'templates'), join(dir, 'templates'), { recursive: true });
  const env = { ...process.env, PASSFORGE_DATABASE_URL: `sqlite://${join(dir, 'passforge.db')}`, PASSFORGE_LOG: 'warn' };
  for (const k of Object.keys(env)) {
    if (k.startsWith('PASSFORGE_') && !['PASSFORGE_DATABASE_URL', 'PASSFORGE_LOG'].includes(k)) {
      delete env[k];
    }
  }
  const keys = {
    admin: createKey(env, 'sdk-admin', 'admin'),
    write: createKey(env, 'sdk-write', 'read,write'),
    read: createKey(env, 'sdk-read', 'read'),
  };
  const apns = options.apns ? await startFakeApns(dir) : undefined;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--templates', join(dir, 'templates'), '--public-url', baseUrl,
    '--webhooks-allow-private-networks',
    '--rate-limit-per-minute', String(options.rateLimitPerMinute ?? 100_000),
    '--rate-limit-burst', String(options.rateLimitBurst ?? 100_000),
    // Google's API is never reached from tests: a closed local port.
    '--google-api-url', 'http://127.0.0.1:9', '--google-token-url', 'http://127.0.0.1:9/token'];
  if (apns) {
    args.push('--apns-url', apns.url, '--apns-ca', apns.ca);
  }
  const server = spawn(bin, args, { env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr.on('data', (d) => { log += d; });
  await waitFor('passforge serve to answer /healthz', async () => {
    if (server.exitCode !== null) {
      throw new Error(`passforge serve exited with ${server.exitCode}: ${log}`);
    }
    try {
      return (await fetch(`${baseUrl}/healthz`)).ok;
    } catch {
      return false;
    }
  });
  return {
    baseUrl,
    keys,
    apns,
    dir,
    log: () => log,
    async stop() {
      server.kill('SIGTERM');
      apns?.child.stdin.end();
      await new Promise((r) => (server.exitCode !== null ? r() : server.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A local webhook receiver: records each delivery's headers and raw body. */
export async function startReceiver() {
  const deliveries = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks/passforge`,
    deliveries,
    /** Waits for a delivery that `keep` accepts (parsed body). */
    wait(keep) {
      return waitFor('a webhook delivery', () =>
        deliveries.find((d) => keep(JSON.parse(d.body.toString('utf8')))));
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

/** A member of a zip file (read with Python's zipfile: node has no zip reader). */
export function zipMember(file, name) {
  return execFileSync('python3', ['-c',
    'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))', file, name]);
}

/** `pass.json` of a .pkpass. */
export function passJson(file) {
  return JSON.parse(zipMember(file, 'pass.json').toString('utf8'));
}

/** Runs ../shared/apple/verify_pkpass.py on a file: its JSON report, or undefined without ../shared. */
export function verifyPkpass(file) {
  const script = sharedPath('apple/verify_pkpass.py');
  if (script === undefined) {
    return undefined;
  }
  let out;
  try {
    out = execFileSync('python3', [script, '--json', '--ca', join(root, 'certs-example/wwdr-ca.pem'), file], { encoding: 'utf8' });
  } catch (e) {
    out = e.stdout;
  }
  return JSON.parse(out);
}

export { waitFor, sleep };
