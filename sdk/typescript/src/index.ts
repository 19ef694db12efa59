// @passforge/client: the resource-style client, typed errors and webhook
// verification, over the functions and types generated from the service's
// OpenAPI document (./gen, by @hey-api/openapi-ts).

export { Passforge } from './client.js';
export type { CallOptions, ClientOptions, Page } from './client.js';
export {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  GoneError,
  NotFoundError,
  PassforgeError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  ValidationError,
  WebhookVerificationError,
} from './errors.js';
export { verifyWebhook } from './webhooks.js';
export { canonicalLink, percentEncode, signLink } from './smartlink.js';
export type { SmartLink } from './smartlink.js';
export type { HeaderSource, VerifyOptions, WebhookEvent } from './webhooks.js';
export type { RetryInfo } from './transport.js';
export type * from './gen/types.gen.js';
export * as api from './gen/sdk.gen.js';
