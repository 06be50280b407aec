import { z } from 'zod';

/** Shapes that cross service boundaries; each service validates what it receives against these. */

export const productId = z.string().regex(/^p-\d{3}$/, 'must look like p-001');
export const uuid = z.uuid();

export const lineItem = z.strictObject({
  productId,
  quantity: z.number().int().min(1).max(10),
});

export const lineItems = z
  .array(lineItem)
  .min(1)
  .max(20)
  .refine((items) => new Set(items.map((item) => item.productId)).size === items.length, 'products must be distinct');

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export const card = z.strictObject({
  number: z
    .string()
    .regex(/^\d{12,19}$/, 'must be 12 to 19 digits')
    .refine(luhn, 'fails the Luhn check'),
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int().min(2000).max(2100),
  cvc: z.string().regex(/^\d{3,4}$/, 'must be 3 or 4 digits'),
});

export const createOrder = z.strictObject({
  customer: z.strictObject({ email: z.email().max(254) }),
  items: lineItems,
  payment: z.strictObject({ card }),
});

/** How many orders a list returns: the same rule at the gateway and at orders, so neither accepts what the other refuses. */
const ORDER_LIST_LIMIT = { min: 1, max: 100, default: 20 } as const;
export const orderListQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be a whole number from ${ORDER_LIST_LIMIT.min} to ${ORDER_LIST_LIMIT.max}`)
    .transform(Number)
    .pipe(z.number().min(ORDER_LIST_LIMIT.min).max(ORDER_LIST_LIMIT.max))
    .default(ORDER_LIST_LIMIT.default),
});

export const idempotencyKey = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of A-Z a-z 0-9 _ -');

export const reservationRequest = z.strictObject({ reservationId: uuid, items: lineItems });

export const chargeRequest = z.strictObject({
  orderId: uuid,
  amountCents: z.number().int().min(1).max(100_000_000),
  currency: z.literal('EUR'),
  card,
});

/** What one worker job may ask for; each worker sets its own (WORKER_MAX_* variables), these are the defaults. */
export interface WorkerJobLimits {
  maxCpuUnits: number;
  maxMemoryMib: number;
  maxHoldMs: number;
}
export const DEFAULT_WORKER_JOB_LIMITS: WorkerJobLimits = { maxCpuUnits: 1000, maxMemoryMib: 256, maxHoldMs: 60_000 };

export const cpuJobRequest = (limits: WorkerJobLimits) => z.strictObject({ units: z.number().int().min(1).max(limits.maxCpuUnits) });
export const memoryJobRequest = (limits: WorkerJobLimits) =>
  z.strictObject({ mib: z.number().int().min(1).max(limits.maxMemoryMib), holdMs: z.number().int().min(0).max(limits.maxHoldMs) });

export type LineItem = z.infer<typeof lineItem>;
export type Card = z.infer<typeof card>;
export type CreateOrder = z.infer<typeof createOrder>;
export type ReservationRequest = z.infer<typeof reservationRequest>;
export type ChargeRequest = z.infer<typeof chargeRequest>;

export interface Product {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  currency: 'EUR';
  stock: number;
}

export interface PricedItem extends LineItem {
  name: string;
  unitPriceCents: number;
}

export interface Reservation {
  reservationId: string;
  items: PricedItem[];
  totalCents: number;
  currency: 'EUR';
}

export interface Charge {
  chargeId: string;
  orderId: string;
  status: 'approved';
  amountCents: number;
  currency: 'EUR';
  cardLast4: string;
}

export type OrderStatus = 'pending' | 'confirmed' | 'payment_declined' | 'failed';

export interface Order {
  id: string;
  status: OrderStatus;
  email: string;
  items: PricedItem[];
  totalCents: number;
  currency: 'EUR';
  cardLast4?: string;
  chargeId?: string;
  createdAt: string;
}

/**
 * The kit's programs and the port each listens on: the services' defaults, the native stack, compose and
 * Kubernetes use these (test/k8s/ports.test.ts checks the shipped files against them).
 */
export const SERVICE_PORTS = { gateway: 8080, catalog: 8081, orders: 8082, payments: 8083, worker: 8084, console: 8085 } as const;
export type ProgramName = keyof typeof SERVICE_PORTS;

/** The shop's services and the QoS lab's worker, each dependency before the services that call it. */
export const SERVICES = ['catalog', 'payments', 'orders', 'gateway', 'worker'] as const satisfies readonly ProgramName[];
export type ServiceName = (typeof SERVICES)[number];

/** Every problem type (RFC 9457 `type`) the shop's services answer with. */
export const PROBLEM_TYPES = {
  validation: '/problems/validation',
  notFound: '/problems/not-found',
  conflict: '/problems/conflict',
  outOfStock: '/problems/out-of-stock',
  unknownProduct: '/problems/unknown-product',
  reservationMismatch: '/problems/reservation-mismatch',
  idempotencyKeyReuse: '/problems/idempotency-key-reuse',
  orderInProgress: '/problems/order-in-progress',
  paymentDeclined: '/problems/payment-declined',
  budgetExhausted: '/problems/budget-exhausted',
  injectedFault: '/problems/injected-fault',
  notReady: '/problems/not-ready',
  unavailable: '/problems/unavailable',
  upstreamError: '/problems/upstream-error',
  upstreamTimeout: '/problems/upstream-timeout',
} as const;
export type ProblemType = (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];
