import { randomUUID } from 'node:crypto';
import { metrics } from '@opentelemetry/api';
import type { Charge, ChargeRequest } from '@qoslab/contracts';
import { PaymentDeclinedError } from '@qoslab/http-kit';
import { METRICS } from '@qoslab/contracts/metrics';

/** Cards that the simulated provider always declines, as test card numbers do at real providers. */
const DECLINED_CARDS = new Set(['4000000000000002']);
const MAX_REMEMBERED = 10_000;

const duration = metrics.getMeter('@qoslab/payments').createHistogram(METRICS.paymentDuration.name, METRICS.paymentDuration);

export interface ProviderOptions {
  latencyMs: number;
  failureRate: number;
  random?: () => number;
}

/**
 * A simulated card provider. Charges are idempotent by order id: a retried charge returns the first
 * decision, so a retried order is never charged twice.
 */
export class PaymentProvider {
  private readonly decisions = new Map<string, Promise<Charge | 'declined'>>();
  private readonly random: () => number;

  constructor(private readonly options: ProviderOptions) {
    this.random = options.random ?? Math.random;
  }

  async charge(request: ChargeRequest): Promise<{ charge: Charge; replayed: boolean }> {
    const previous = this.decisions.get(request.orderId);
    const decision = previous ?? this.decide(request);
    if (!previous) {
      this.decisions.set(request.orderId, decision);
      if (this.decisions.size > MAX_REMEMBERED) this.decisions.delete(this.decisions.keys().next().value as string);
    }
    const outcome = await decision;
    if (outcome === 'declined') throw new PaymentDeclinedError(request.orderId);
    return { charge: outcome, replayed: previous !== undefined };
  }

  private async decide(request: ChargeRequest): Promise<Charge | 'declined'> {
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs * (0.5 + this.random())));
    const declined = DECLINED_CARDS.has(request.card.number) || this.random() < this.options.failureRate;
    duration.record((performance.now() - started) / 1000, { 'shop.payment.outcome': declined ? 'declined' : 'approved' });
    if (declined) return 'declined';
    return {
      chargeId: `ch_${randomUUID().replaceAll('-', '')}`,
      orderId: request.orderId,
      status: 'approved',
      amountCents: request.amountCents,
      currency: request.currency,
      cardLast4: request.card.number.slice(-4),
    };
  }
}
