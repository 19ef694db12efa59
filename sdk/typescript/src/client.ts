// The resource-style client over the generated functions in ./gen.

import { rename, rm, writeFile } from 'node:fs/promises';

import { createClient, createConfig, type Client as RawClient } from './gen/client/index.js';
import * as api from './gen/sdk.gen.js';
import type * as T from './gen/types.gen.js';
import { errorFor } from './errors.js';
import { retryingFetch, type RetryInfo } from './transport.js';

/** How the client reaches and authenticates to passforge. */
export interface ClientOptions {
  /** The service's base URL (default `PASSFORGE_URL`, else `http://127.0.0.1:8080`). */
  baseUrl?: string;
  /** An API key `pfk_…`, sent as `X-API-Key` (default `PASSFORGE_API_KEY`). */
  apiKey?: string;
  /** A bearer token: a JWT or a user token `pfu_…`. */
  token?: string;
  /** Retries of 429 and 503 answers, honouring Retry-After (default 3). */
  maxRetries?: number;
  /** The longest wait before a retry, in ms (default 60,000). */
  maxRetryDelayMs?: number;
  /** A fetch implementation (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Called before each retry (logging, metrics). */
  onRetry?: (info: RetryInfo) => void;
}

/** Per-call options. */
export interface CallOptions {
  /** The Idempotency-Key of a POST (default: a random one per call, kept across its retries). */
  idempotencyKey?: string;
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** One page of a cursor-paginated list. */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextStartingAfter?: string | null;
}

type Generated = (options: never) => Promise<unknown>;

/** Sends generated calls and turns problem answers into typed errors. */
class Caller {
  constructor(readonly raw: RawClient) {}

  async call<R>(fn: Generated, options: Record<string, unknown>, call: CallOptions = {}): Promise<R> {
    const headers: Record<string, string> = { ...((options.headers as Record<string, string>) ?? {}) };
    if (call.idempotencyKey !== undefined) {
      headers['Idempotency-Key'] = call.idempotencyKey;
    }
    const result = (await (fn as (o: unknown) => Promise<unknown>)({
      ...options,
      headers,
      signal: call.signal,
      client: this.raw,
    })) as { data?: unknown; error?: unknown; response?: Response };
    const response = result.response;
    if (response === undefined) {
      throw result.error instanceof Error ? result.error : new Error(String(result.error));
    }
    if (response.status >= 400) {
      throw errorFor(response.status, result.error, response.headers.get('x-request-id') ?? undefined);
    }
    return result.data as R;
  }

  async bytes(fn: Generated, options: Record<string, unknown>, call?: CallOptions): Promise<Uint8Array> {
    const data = await this.call<ArrayBuffer>(fn, { ...options, parseAs: 'arrayBuffer' }, call);
    return new Uint8Array(data);
  }
}

/** Every item of a cursor-paginated list, fetching pages as the loop goes. */
async function* paginate<T>(page: (startingAfter?: string) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  for (;;) {
    const p = await page(cursor);
    yield* p.data;
    if (!p.hasMore || !p.nextStartingAfter) {
      return;
    }
    cursor = p.nextStartingAfter;
  }
}

/** Writes bytes to a file through a temporary file beside it: no partial file on failure. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<string> {
  const tmp = `${path}.${process.pid}.${Date.now()}.part`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return path;
}

function asBlob(body: Uint8Array | ArrayBuffer | Blob): Blob {
  return body instanceof Blob ? body : new Blob([body as BlobPart], { type: 'application/zip' });
}

/** Templates: designed from JSON, uploaded as zips, or dropped into the templates folder. */
export class Templates {
  constructor(private readonly c: Caller) {}
  /** Every template with its status, problems and the JSON Schema of its fields. */
  list(call?: CallOptions): Promise<T.TemplateList> {
    return this.c.call(api.listTemplates, {}, call);
  }
  get(id: string, call?: CallOptions): Promise<T.TemplateView> {
    return this.c.call(api.getTemplate, { path: { id } }, call);
  }
  /** Creates a template from a JSON design (admin); its id is `design.id` or made from the name. */
  create(design: T.TemplateDesign, call?: CallOptions): Promise<T.TemplateView> {
    return this.c.call(api.createTemplate, { body: design }, call);
  }
  /** Changes a designed template with a JSON merge patch; its passes get a new version. */
  update(id: string, patch: T.DesignPatch, call?: CallOptions): Promise<T.TemplateView> {
    return this.c.call(
      api.patchTemplate,
      { path: { id }, body: patch, headers: { 'Content-Type': 'application/merge-patch+json' } },
      call,
    );
  }
  /** Creates or replaces a template from a zip of its folder. */
  upload(id: string, zip: Uint8Array | ArrayBuffer | Blob, call?: CallOptions): Promise<T.TemplateView> {
    return this.c.call(api.uploadTemplate, { path: { id }, body: asBlob(zip), bodySerializer: null }, call);
  }
  /** Adds the PNGs of a zip to a template, replacing those of the same name. */
  addImages(id: string, zip: Uint8Array | ArrayBuffer | Blob, call?: CallOptions): Promise<T.TemplateView> {
    return this.c.call(api.addTemplateImages, { path: { id }, body: asBlob(zip), bodySerializer: null }, call);
  }
  /** Deletes a template (409 while passes use it, unless `force`). */
  async delete(id: string, query: T.DeleteTemplateData['query'] = {}, call?: CallOptions): Promise<void> {
    await this.c.call(api.deleteTemplate, { path: { id }, query }, call);
  }
  /** A PNG of the template as Wallet shows it (`fields` fills it in). */
  preview(
    id: string,
    options: { side?: 'front' | 'back' | 'google'; lang?: string; scale?: number; fields?: Record<string, unknown> } = {},
    call?: CallOptions,
  ): Promise<Uint8Array> {
    const { fields, ...rest } = options;
    const query = fields === undefined ? rest : { ...rest, fields: JSON.stringify(fields) };
    return this.c.bytes(api.previewTemplate, { path: { id }, query }, call);
  }
}

/** Passes: issued from a template and custom fields, changed, voided, downloaded. */
export class Passes {
  constructor(private readonly c: Caller) {}
  /** Issues a pass. `customFields` values are a value or `{value, label}`. */
  create(pass: T.PassCreate, call?: CallOptions): Promise<T.PassCreated> {
    return this.c.call(api.createPass, { body: pass }, call);
  }
  get(id: string, call?: CallOptions): Promise<T.PassWithInstalls> {
    return this.c.call(api.getPass, { path: { id } }, call);
  }
  /** One page of passes (`limit` 1–100, `startingAfter` the previous page's cursor). */
  list(query: T.ListPassesData['query'] = {}, call?: CallOptions): Promise<T.PassList> {
    return this.c.call(api.listPasses, { query }, call);
  }
  /** Every pass matching the filters: `for await (const p of client.passes.listAll())`. */
  listAll(query: Omit<NonNullable<T.ListPassesData['query']>, 'startingAfter'> = {}): AsyncGenerator<T.PassView> {
    return paginate((startingAfter) => this.list({ ...query, startingAfter }));
  }
  /** Merges `customFields` (null removes one) and dates: a new version, pushed to devices. */
  update(id: string, change: T.PassUpdate, call?: CallOptions): Promise<T.PassView> {
    return this.c.call(api.updatePass, { path: { id }, body: change }, call);
  }
  /** Voids the pass (a new version with `voided`). */
  void(id: string, call?: CallOptions): Promise<T.PassView> {
    return this.c.call(api.voidPass, { path: { id } }, call);
  }
  async delete(id: string, call?: CallOptions): Promise<void> {
    await this.c.call(api.deletePass, { path: { id } }, call);
  }
  /** The signed `.pkpass` of the current version. */
  download(id: string, call?: CallOptions): Promise<Uint8Array> {
    return this.c.bytes(api.downloadPass, { path: { id } }, call);
  }
  /** Downloads the `.pkpass` to a file (written whole or not at all); its path. */
  async downloadTo(id: string, path: string, call?: CallOptions): Promise<string> {
    return writeAtomically(path, await this.download(id, call));
  }
  /** The Google Wallet save link of the current version. */
  googleSaveLink(id: string, call?: CallOptions): Promise<T.GoogleSave> {
    return this.c.call(api.googleSaveLink, { path: { id } }, call);
  }
  /** A PNG of the pass as Wallet shows it. */
  preview(
    id: string,
    query: { side?: 'front' | 'back' | 'google'; lang?: string; scale?: number } = {},
    call?: CallOptions,
  ): Promise<Uint8Array> {
    return this.c.bytes(api.previewPass, { path: { id }, query }, call);
  }
  /** Queues a batch job (up to 10,000 items); follow it with `client.jobs`. */
  createBatch(batch: T.BatchCreate, call?: CallOptions): Promise<T.JobView> {
    return this.c.call(api.createBatch, { body: batch }, call);
  }
}

/** At the door: scans, redemptions, counter adjustments, door lists and offline uploads (a `scan` key suffices). */
export class Door {
  constructor(private readonly c: Caller) {}
  /** What a scanner read → the pass and whether it can be used now; `redeem: true` uses it in the same step. */
  scan(request: T.ScanRequest, call?: CallOptions): Promise<T.ScanAnswer> {
    return this.c.call(api.scan, { body: request }, call);
  }
  /** Uses a pass once against its template's rule; a refusal is a ConflictError (`already_used`, `voided`, …). */
  redeem(passId: string, request: T.RedeemRequest = {}, call?: CallOptions): Promise<T.UseAnswer> {
    return this.c.call(api.redeemPass, { path: { id: passId }, body: request }, call);
  }
  /** Adds to counter fields (`{points: 10}`, a balance in minor units), within their bounds. */
  adjust(passId: string, changes: Record<string, number | string>, call?: CallOptions): Promise<T.UseAnswer> {
    return this.c.call(api.adjustPass, { path: { id: passId }, body: changes }, call);
  }
  /** One page of a pass's scans, redemptions and adjustments. */
  redemptions(passId: string, query: T.ListRedemptionsData['query'] = {}, call?: CallOptions): Promise<T.RedemptionList> {
    return this.c.call(api.listRedemptions, { path: { id: passId }, query }, call);
  }
  redemptionsAll(passId: string, query: { limit?: number } = {}): AsyncGenerator<T.RedemptionView> {
    return paginate((startingAfter) => this.redemptions(passId, { ...query, startingAfter }));
  }
  /** A template's door list for an offline gate; with the `etag` of the list it has, `undefined` when that is current. */
  async scanList(templateId: string, options: { etag?: string } = {}, call?: CallOptions): Promise<{ list: T.DoorList; etag: string } | undefined> {
    const headers = options.etag === undefined ? {} : { 'If-None-Match': options.etag };
    const result = (await api.scanList({ client: this.c.raw, path: { id: templateId }, headers, signal: call?.signal })) as {
      data?: T.DoorList; error?: unknown; response?: Response;
    };
    const response = result.response;
    if (response === undefined) {
      throw result.error instanceof Error ? result.error : new Error(String(result.error));
    }
    if (response.status === 304) {
      return undefined;
    }
    if (response.status >= 400) {
      throw errorFor(response.status, result.error, response.headers.get('x-request-id') ?? undefined);
    }
    return { list: result.data as T.DoorList, etag: response.headers.get('etag') ?? '' };
  }
  /** Uploads an offline gate's uses: each counted once (by `clientId`), conflicts reported. */
  upload(items: T.OfflineItem[], call?: CallOptions): Promise<T.UploadAnswer> {
    return this.c.call(api.uploadRedemptions, { body: { items } }, call);
  }
}

/** Push notifications: a message on the lock screen of every device holding the pass. */
export class Notifications {
  constructor(private readonly c: Caller) {}
  /** Puts `message` in the pass's message field (a new version) and pushes it. */
  send(passId: string, message: string, call?: CallOptions): Promise<T.PassNotified> {
    return this.c.call(api.pushNotification, { path: { id: passId }, body: { message } }, call);
  }
}

/** Links (`/l/{code}`) that hand a pass to whoever opens them. */
export class Links {
  constructor(private readonly c: Caller) {}
  create(link: T.LinkCreate, call?: CallOptions): Promise<T.LinkView> {
    return this.c.call(api.createLink, { body: link }, call);
  }
  get(id: string, call?: CallOptions): Promise<T.LinkView> {
    return this.c.call(api.getLink, { path: { id } }, call);
  }
  list(call?: CallOptions): Promise<T.LinkList> {
    return this.c.call(api.listLinks, {}, call);
  }
  revoke(id: string, call?: CallOptions): Promise<T.LinkView> {
    return this.c.call(api.revokeLink, { path: { id } }, call);
  }
  /** Exchanges the one-time `code` the link's returnUrl received (once, within ten minutes). */
  exchange(id: string, code: string, call?: CallOptions): Promise<T.ExchangeView> {
    return this.c.call(api.exchangeLinkCode, { path: { id }, body: { code } }, call);
  }
}

/** The people holding passes, and their tokens. */
export class Users {
  constructor(private readonly c: Caller) {}
  create(user: T.UserCreate, call?: CallOptions): Promise<T.UserView> {
    return this.c.call(api.createUser, { body: user }, call);
  }
  get(id: string, call?: CallOptions): Promise<T.UserView> {
    return this.c.call(api.getUser, { path: { id } }, call);
  }
  /** Deletes a user; `passes: 'delete'` deletes their passes too (default: detach). */
  async delete(id: string, query: T.DeleteUserData['query'] = {}, call?: CallOptions): Promise<void> {
    await this.c.call(api.deleteUser, { path: { id }, query }, call);
  }
  /** A user token `pfu_…` (shown once) for the user's own passes. */
  createToken(id: string, options: T.TokenCreate = {}, call?: CallOptions): Promise<T.UserTokenView> {
    return this.c.call(api.createUserToken, { path: { id }, body: options }, call);
  }
  async revokeToken(id: string, token: string, call?: CallOptions): Promise<void> {
    await this.c.call(api.revokeUserToken, { path: { id, token } }, call);
  }
}

/** Installations of passes in wallets. */
export class Connections {
  constructor(private readonly c: Caller) {}
  list(query: T.ListConnectionsData['query'] = {}, call?: CallOptions): Promise<T.ConnectionList> {
    return this.c.call(api.listConnections, { query }, call);
  }
  listAll(
    query: Omit<NonNullable<T.ListConnectionsData['query']>, 'startingAfter'> = {},
  ): AsyncGenerator<T.ConnectionView> {
    return paginate((startingAfter) => this.list({ ...query, startingAfter }));
  }
  get(id: string, call?: CallOptions): Promise<T.ConnectionView> {
    return this.c.call(api.getConnection, { path: { id } }, call);
  }
  /** Stops pushing to this installation. */
  async delete(id: string, call?: CallOptions): Promise<void> {
    await this.c.call(api.deleteConnection, { path: { id } }, call);
  }
  /** Pushes the pass to this installation now. */
  sync(id: string, call?: CallOptions): Promise<T.SyncQueued> {
    return this.c.call(api.syncConnection, { path: { id } }, call);
  }
}

/** Webhook endpoints and their deliveries. */
export class Webhooks {
  constructor(private readonly c: Caller) {}
  /** Subscribes an endpoint; the answer's `secret` is shown only here. */
  create(webhook: T.WebhookCreate, call?: CallOptions): Promise<T.WebhookView> {
    return this.c.call(api.createWebhook, { body: webhook }, call);
  }
  list(call?: CallOptions): Promise<T.WebhookList> {
    return this.c.call(api.listWebhooks, {}, call);
  }
  get(id: string, call?: CallOptions): Promise<T.WebhookView> {
    return this.c.call(api.getWebhook, { path: { id } }, call);
  }
  async delete(id: string, call?: CallOptions): Promise<void> {
    await this.c.call(api.deleteWebhook, { path: { id } }, call);
  }
  deliveries(id: string, query: T.ListDeliveriesData['query'] = {}, call?: CallOptions): Promise<T.DeliveryList> {
    return this.c.call(api.listDeliveries, { path: { id }, query }, call);
  }
  deliveriesAll(
    id: string,
    query: Omit<NonNullable<T.ListDeliveriesData['query']>, 'startingAfter'> = {},
  ): AsyncGenerator<T.DeliveryView> {
    return paginate((startingAfter) => this.deliveries(id, { ...query, startingAfter }));
  }
  redeliver(id: string, delivery: string, call?: CallOptions): Promise<T.Redelivery> {
    return this.c.call(api.redeliver, { path: { id, delivery } }, call);
  }
  /** Sends a `webhook.test` event. */
  test(id: string, call?: CallOptions): Promise<T.TestQueued> {
    return this.c.call(api.testWebhook, { path: { id } }, call);
  }
}

/** Batch jobs. */
export class Jobs {
  constructor(private readonly c: Caller) {}
  get(id: string, call?: CallOptions): Promise<T.JobView> {
    return this.c.call(api.getJob, { path: { id } }, call);
  }
  /** Polls until the job has completed; the finished job. */
  async wait(id: string, options: { intervalMs?: number; timeoutMs?: number } = {}): Promise<T.JobView> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    for (;;) {
      const job = await this.get(id);
      if (job.status === 'completed') {
        return job;
      }
      if (Date.now() > deadline) {
        throw new Error(`job ${id} is still ${job.status} after ${options.timeoutMs ?? 600_000} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    }
  }
  /** The zip of a completed job's passes. */
  download(id: string, call?: CallOptions): Promise<Uint8Array> {
    return this.c.bytes(api.downloadJob, { path: { id } }, call);
  }
  async downloadTo(id: string, path: string, call?: CallOptions): Promise<string> {
    return writeAtomically(path, await this.download(id, call));
  }
}

/** What a user token reaches: the user's own passes and installations. */
export class Me {
  constructor(private readonly c: Caller) {}
  passes(call?: CallOptions): Promise<T.MyPasses> {
    return this.c.call(api.myPasses, {}, call);
  }
  connections(call?: CallOptions): Promise<T.MyConnections> {
    return this.c.call(api.myConnections, {}, call);
  }
  download(id: string, call?: CallOptions): Promise<Uint8Array> {
    return this.c.bytes(api.myPassDownload, { path: { id } }, call);
  }
}

/**
 * The passforge client.
 *
 * ```ts
 * const client = new Passforge({ baseUrl: 'http://127.0.0.1:8080', apiKey: process.env.PASSFORGE_API_KEY });
 * const pass = await client.passes.create({ templateId: 'event-ticket', customFields: { attendee: 'Ada' } });
 * ```
 */
export class Passforge {
  /** The generated client, for calls the resources do not cover (`import * as api from '@passforge/client/gen'`). */
  readonly raw: RawClient;
  readonly templates: Templates;
  readonly passes: Passes;
  readonly notifications: Notifications;
  readonly links: Links;
  readonly users: Users;
  readonly connections: Connections;
  readonly webhooks: Webhooks;
  readonly jobs: Jobs;
  readonly me: Me;
  readonly door: Door;

  constructor(options: ClientOptions = {}) {
    const env = typeof process === 'undefined' ? {} : process.env;
    const baseUrl = (options.baseUrl ?? env.PASSFORGE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
    const apiKey = options.apiKey ?? (options.token === undefined ? env.PASSFORGE_API_KEY : undefined);
    const token = options.token;
    this.raw = createClient(
      createConfig({
        baseUrl,
        fetch: retryingFetch({
          maxRetries: options.maxRetries ?? 3,
          maxRetryDelayMs: options.maxRetryDelayMs ?? 60_000,
          fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
          onRetry: options.onRetry,
        }),
        auth: (scheme) => (scheme.type === 'apiKey' ? apiKey : token),
      }),
    );
    const c = new Caller(this.raw);
    this.templates = new Templates(c);
    this.passes = new Passes(c);
    this.notifications = new Notifications(c);
    this.links = new Links(c);
    this.users = new Users(c);
    this.connections = new Connections(c);
    this.webhooks = new Webhooks(c);
    this.jobs = new Jobs(c);
    this.me = new Me(c);
    this.door = new Door(c);
  }

  /** Wallet providers (Apple, Google): configured or not, and their operations. */
  providers(call?: CallOptions): Promise<T.ProviderList> {
    return new Caller(this.raw).call(api.listProviders, {}, call);
  }
}
