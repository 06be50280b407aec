import { metrics } from '@opentelemetry/api';
import { ConflictError, NotFoundError, UnprocessableError } from '@qoslab/http-kit';
import type { LineItem, Reservation } from '@qoslab/contracts';
import type { ProductInfo } from './products';
import { PROBLEM_TYPES } from '@qoslab/contracts';
import { METRICS } from '@qoslab/contracts/metrics';

/** Reservations are kept for idempotent retries and releases; the oldest are forgotten first. */
const MAX_RESERVATIONS = 10_000;

/**
 * Stock levels and reservations. A reservation id is the order id, so a retried reservation
 * returns the first one instead of taking the stock twice.
 */
export class StockLedger {
  private readonly available = new Map<string, number>();
  private readonly reservations = new Map<string, Reservation>();

  constructor(initial: Iterable<[string, number]>) {
    for (const [id, quantity] of initial) this.available.set(id, quantity);
    metrics
      .getMeter('@qoslab/catalog')
      .createObservableGauge(METRICS.stockAvailable.name, METRICS.stockAvailable)
      .addCallback((result) => {
        for (const [id, quantity] of this.available) result.observe(quantity, { 'shop.product.id': id });
      });
  }

  stockOf(productId: string): number | undefined {
    return this.available.get(productId);
  }

  /** Returns the reservation and whether it was created by this call. */
  reserve(reservationId: string, items: LineItem[], products: Map<string, ProductInfo>): { reservation: Reservation; created: boolean } {
    const existing = this.reservations.get(reservationId);
    if (existing) {
      if (!sameItems(existing.items, items)) {
        throw new UnprocessableError(`reservation ${reservationId} exists with other items`, PROBLEM_TYPES.reservationMismatch);
      }
      return { reservation: existing, created: false };
    }
    const unknown = items.filter((item) => !products.has(item.productId) || !this.available.has(item.productId));
    if (unknown.length > 0) {
      throw new UnprocessableError(`unknown product: ${unknown.map((item) => item.productId).join(', ')}`, PROBLEM_TYPES.unknownProduct);
    }
    const short = items.filter((item) => (this.available.get(item.productId) ?? 0) < item.quantity);
    if (short.length > 0) {
      throw new ConflictError(`not enough stock for ${short.map((item) => item.productId).join(', ')}`, PROBLEM_TYPES.outOfStock, {
        productIds: short.map((item) => item.productId),
      });
    }
    const priced = items.map((item) => {
      const product = products.get(item.productId) as ProductInfo;
      this.available.set(item.productId, (this.available.get(item.productId) ?? 0) - item.quantity);
      return { ...item, name: product.name, unitPriceCents: product.priceCents };
    });
    const reservation: Reservation = {
      reservationId,
      items: priced,
      totalCents: priced.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0),
      currency: 'EUR',
    };
    this.reservations.set(reservationId, reservation);
    if (this.reservations.size > MAX_RESERVATIONS) {
      this.reservations.delete(this.reservations.keys().next().value as string);
    }
    return { reservation, created: true };
  }

  release(reservationId: string): void {
    const reservation = this.reservations.get(reservationId);
    if (!reservation) throw new NotFoundError(`no reservation ${reservationId}`);
    for (const item of reservation.items) {
      this.available.set(item.productId, (this.available.get(item.productId) ?? 0) + item.quantity);
    }
    this.reservations.delete(reservationId);
  }
}

function sameItems(a: LineItem[], b: LineItem[]): boolean {
  const key = (items: LineItem[]) =>
    items
      .map((item) => `${item.productId}:${item.quantity}`)
      .sort()
      .join(',');
  return key(a) === key(b);
}
