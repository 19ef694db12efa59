// Typed errors from the service's application/problem+json answers.

import type { FieldProblem, Problem } from './gen/types.gen.js';

/** Any answer of 400 or more from passforge, with its problem document. */
export class PassforgeError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The problem's stable `code` (`validation_failed`, `not_found`, …). */
  readonly code: string;
  /** The problem's `title`. */
  readonly title: string;
  /** The problem's `detail`. */
  readonly detail: string;
  /** Every located problem (`{pointer, detail}`), for 422 answers. */
  readonly problems: FieldProblem[];
  /** The answer's `X-Request-Id`, to find the request in the service's log. */
  readonly requestId: string | undefined;
  /** The whole problem document as the service sent it. */
  readonly body: Problem | undefined;

  constructor(status: number, body: Problem | undefined, requestId?: string) {
    const detail = body?.detail ?? `HTTP ${status}`;
    const located = (body?.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`);
    super(located.length > 0 ? `${detail} (${located.join('; ')})` : detail);
    this.name = new.target.name;
    this.status = status;
    this.code = body?.code ?? 'http_error';
    this.title = body?.title ?? '';
    this.detail = detail;
    this.problems = body?.errors ?? [];
    this.requestId = requestId;
    this.body = body;
  }
}

/** 400: a query parameter or header of the wrong shape. */
export class BadRequestError extends PassforgeError {}
/** 401: no valid credential. */
export class AuthenticationError extends PassforgeError {}
/** 403: the credential lacks the scope. */
export class PermissionDeniedError extends PassforgeError {}
/** 404: no such resource. */
export class NotFoundError extends PassforgeError {}
/** 409: the resource's state forbids it (or the same Idempotency-Key is still running). */
export class ConflictError extends PassforgeError {}
/** 410: gone (a revoked or used-up link). */
export class GoneError extends PassforgeError {}
/** 422: the request's problems, each located by a JSON pointer in `problems`. */
export class ValidationError extends PassforgeError {}
/** 429: still rate limited after the retries. */
export class RateLimitError extends PassforgeError {}
/** 5xx: the service failed (503 after the retries). */
export class ServerError extends PassforgeError {}

/** The error class of a status. */
export function errorFor(status: number, body: unknown, requestId?: string): PassforgeError {
  const problem = isProblem(body) ? body : undefined;
  const Kind =
    status === 400
      ? BadRequestError
      : status === 401
        ? AuthenticationError
        : status === 403
          ? PermissionDeniedError
          : status === 404
            ? NotFoundError
            : status === 409
              ? ConflictError
              : status === 410
                ? GoneError
                : status === 422
                  ? ValidationError
                  : status === 429
                    ? RateLimitError
                    : status >= 500
                      ? ServerError
                      : PassforgeError;
  return new Kind(status, problem, requestId);
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && 'status' in body && 'detail' in body;
}

/** A webhook delivery whose signature, timestamp or headers do not check out. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}
