import { createHash, randomUUID } from 'node:crypto';
import { metrics, trace } from '@opentelemetry/api';
import type { Charge, CreateOrder, Order, Reservation } from '@qoslab/contracts';
import { ConflictError, HttpError, PaymentDeclinedError, UnprocessableError, type Upstream } from '@qoslab/http-kit';
import type { Logger } from '@qoslab/logger';
import type { OrderRepository, StoredOrder } from './repository';
import { PROBLEM_TYPES } from '@qoslab/contracts';
import { METRICS } from '@qoslab/contracts/metrics';

const placed = metrics.getMeter('@qoslab/orders').createCounter(METRICS.orders.name, METRICS.orders);

/** A pending order older than this is taken to be abandoned (its request died) and may be resumed. */
const ABANDONED_AFTER_MS = 30_000;

export interface PlaceResult {
  order: Order;
  replayed: boolean;
}

/** The hash ties an idempotency key to one request; the card number is left out of it on purpose. */
function requestHash(request: CreateOrder): string {
  const canonical = {
    email: request.customer.email.toLowerCase(),
    items: [...request.items].sort((a, b) => a.productId.localeCompare(b.productId)),
    card: request.payment.card.number.slice(-4),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function publicOrder({ idempotencyKey: _key, requestHash: _hash, updatedAt: _updated, ...order }: StoredOrder): Order {
  return order;
}

/**
 * Places orders: record as pending, reserve stock, charge, confirm. Reservation and charge are
 * idempotent by order id, so a retry with the same Idempotency-Key resumes the same order and never
 * reserves or charges twice. 201 is only sent once the confirmed order is committed.
 */
export class OrderService {
  constructor(
    private readonly repository: OrderRepository,
    private readonly catalog: Upstream,
    private readonly payments: Upstream,
    private readonly logger: Logger,
  ) {}

  async place(request: CreateOrder, idempotencyKey?: string): Promise<PlaceResult> {
    const hash = requestHash(request);
    const span = trace.getActiveSpan();
    let orderId: string = randomUUID();

    if (idempotencyKey) {
      const existing = await this.repository.findByIdempotencyKey(idempotencyKey);
      if (existing) {
        const decision = this.resume(existing, hash);
        if (decision !== 'resume') return decision;
        orderId = existing.id;
      } else if (!(await this.repository.insertPending({ id: orderId, idempotencyKey, requestHash: hash, email: request.customer.email }))) {
        throw new ConflictError('an order with this Idempotency-Key is being placed right now; retry shortly', PROBLEM_TYPES.orderInProgress);
      }
    } else {
      await this.repository.insertPending({ id: orderId, requestHash: hash, email: request.customer.email });
    }
    span?.setAttribute('shop.order.id', orderId);

    try {
      const order = await this.process(orderId, request);
      placed.add(1, { 'shop.order.status': 'confirmed' });
      return { order, replayed: false };
    } catch (error) {
      placed.add(1, { 'shop.order.status': outcomeOf(error) });
      throw error;
    }
  }

  private resume(existing: StoredOrder, hash: string): PlaceResult | 'resume' {
    const span = trace.getActiveSpan();
    if (existing.requestHash !== hash) {
      span?.addEvent('shop.security.idempotency_key_reuse', { 'shop.order.id': existing.id });
      throw new UnprocessableError('this Idempotency-Key was used for a different order', PROBLEM_TYPES.idempotencyKeyReuse);
    }
    span?.setAttribute('shop.order.id', existing.id);
    switch (existing.status) {
      case 'confirmed':
        placed.add(1, { 'shop.order.status': 'replayed' });
        return { order: publicOrder(existing), replayed: true };
      case 'payment_declined':
        throw new PaymentDeclinedError(existing.id);
      case 'pending':
        if (Date.now() - existing.updatedAt.getTime() < ABANDONED_AFTER_MS) {
          throw new ConflictError('an order with this Idempotency-Key is being placed right now; retry shortly', PROBLEM_TYPES.orderInProgress);
        }
        return 'resume';
      case 'failed':
        return 'resume';
    }
  }

  private async process(orderId: string, request: CreateOrder): Promise<Order> {
    let reservation: Reservation;
    try {
      ({ body: reservation } = await this.catalog.request<Reservation>('/reservations', {
        method: 'POST',
        body: { reservationId: orderId, items: request.items },
      }));
    } catch (error) {
      // Rejected by the catalog (out of stock, unknown product): no side effect happened, keep nothing.
      if (error instanceof HttpError && error.status < 500) await this.repository.delete(orderId);
      else await this.markFailed(orderId);
      throw error;
    }

    let charge: Charge;
    try {
      ({ body: charge } = await this.payments.request<Charge>('/charges', {
        method: 'POST',
        body: { orderId, amountCents: reservation.totalCents, currency: reservation.currency, card: request.payment.card },
      }));
    } catch (error) {
      if (error instanceof HttpError && error.status === 402) {
        await this.releaseReservation(orderId);
        await this.repository.setStatus(orderId, 'payment_declined');
      } else {
        // The charge may have gone through (timeout): keep the reservation, so a retry with the same
        // Idempotency-Key completes this order; payments answers a retried charge with the first one.
        await this.markFailed(orderId);
      }
      throw error;
    }

    await this.repository.confirm(orderId, {
      items: reservation.items,
      totalCents: reservation.totalCents,
      cardLast4: charge.cardLast4,
      chargeId: charge.chargeId,
    });
    const order = await this.repository.findById(orderId);
    if (!order) throw new Error(`order ${orderId} vanished after confirmation`);
    return publicOrder(order);
  }

  private async markFailed(orderId: string): Promise<void> {
    await this.repository.setStatus(orderId, 'failed').catch((error: unknown) => {
      this.logger.warn({ err: error, orderId }, 'could not mark the order failed');
    });
  }

  private async releaseReservation(orderId: string): Promise<void> {
    await this.catalog.request(`/reservations/${orderId}`, { method: 'DELETE' }).catch((error: unknown) => {
      this.logger.warn({ err: error, orderId }, 'could not release the reservation');
    });
  }

  async get(id: string): Promise<Order | undefined> {
    const order = await this.repository.findById(id);
    return order && publicOrder(order);
  }

  async list(limit: number): Promise<Order[]> {
    return (await this.repository.list(limit)).map(publicOrder);
  }
}

function outcomeOf(error: unknown): string {
  if (!(error instanceof HttpError)) return 'failed';
  if (error.status === 402) return 'payment_declined';
  if (error.status < 500) return 'rejected';
  return 'failed';
}
