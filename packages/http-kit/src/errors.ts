import { STATUS_CODES } from 'node:http';
import { PROBLEM_TYPES, type ProblemType } from '@qoslab/contracts';

/** One entry of a validation problem: where in the request, and what is wrong. */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldIssue[];
  [extension: string]: unknown;
}

/** The status's reason phrase (RFC 9110), the title of a problem that has no more specific one. */
export const statusTitle = (status: number): string => STATUS_CODES[status] ?? (status < 500 ? 'Client Error' : 'Server Error');

/** An error with an HTTP meaning; the error middleware turns it into application/problem+json. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly problemType = 'about:blank',
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = new.target.name;
  }

  toProblem(): ProblemDetails {
    return {
      type: this.problemType,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...this.extensions,
    };
  }
}

export class ValidationError extends HttpError {
  constructor(readonly issues: FieldIssue[], detail = 'The request is not valid.') {
    super(400, 'Invalid request', detail, PROBLEM_TYPES.validation, { errors: issues });
  }
}

export class NotFoundError extends HttpError {
  constructor(detail?: string) {
    super(404, statusTitle(404), detail, PROBLEM_TYPES.notFound);
  }
}

export class ConflictError extends HttpError {
  constructor(detail: string, problemType: ProblemType = PROBLEM_TYPES.conflict, extensions: Record<string, unknown> = {}) {
    super(409, statusTitle(409), detail, problemType, extensions);
  }
}

/** The request is well-formed but cannot be carried out as asked (422), with the problem type saying why. */
export class UnprocessableError extends HttpError {
  constructor(detail: string, problemType: ProblemType) {
    super(422, statusTitle(422), detail, problemType);
  }
}

/** The card was declined (402): payments raises it, orders passes it on and records the order as declined. */
export class PaymentDeclinedError extends HttpError {
  constructor(orderId: string) {
    super(402, 'Payment declined', `the card was declined for order ${orderId}`, PROBLEM_TYPES.paymentDeclined);
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(detail: string) {
    super(503, statusTitle(503), detail, PROBLEM_TYPES.unavailable);
  }
}

/** A dependency failed: unreachable or answered 5xx (502). */
export class UpstreamError extends HttpError {
  constructor(readonly upstream: string, detail: string) {
    super(502, statusTitle(502), detail, PROBLEM_TYPES.upstreamError, { upstream });
  }
}

/** A dependency did not answer within its timeout (504). */
export class UpstreamTimeoutError extends HttpError {
  constructor(readonly upstream: string, timeoutMs: number) {
    super(504, statusTitle(504), `${upstream} did not answer within ${timeoutMs} ms`, PROBLEM_TYPES.upstreamTimeout, {
      upstream,
    });
  }
}
