import type { Order, OrderStatus, PricedItem } from '@qoslab/contracts';
import type { Pool } from 'pg';
import { withDatabase } from './database';

interface OrderRow {
  id: string;
  idempotency_key: string | null;
  request_hash: string;
  status: OrderStatus;
  email: string;
  total_cents: number | null;
  currency: 'EUR';
  card_last4: string | null;
  charge_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface StoredOrder extends Order {
  idempotencyKey?: string;
  requestHash: string;
  updatedAt: Date;
}

function toOrder(row: OrderRow, items: PricedItem[]): StoredOrder {
  return {
    id: row.id,
    status: row.status,
    email: row.email,
    items,
    totalCents: row.total_cents ?? 0,
    currency: row.currency,
    ...(row.card_last4 ? { cardLast4: row.card_last4 } : {}),
    ...(row.charge_id ? { chargeId: row.charge_id } : {}),
    createdAt: row.created_at.toISOString(),
    ...(row.idempotency_key ? { idempotencyKey: row.idempotency_key } : {}),
    requestHash: row.request_hash,
    updatedAt: row.updated_at,
  };
}

export class OrderRepository {
  constructor(private readonly pool: Pool) {}

  /** Inserts a pending order; returns false when the idempotency key is already taken. */
  async insertPending(order: { id: string; idempotencyKey?: string; requestHash: string; email: string }): Promise<boolean> {
    return withDatabase(async () => {
      const result = await this.pool.query(
        `INSERT INTO orders (id, idempotency_key, request_hash, status, email)
         VALUES ($1, $2, $3, 'pending', $4)
         ON CONFLICT (idempotency_key) DO NOTHING`,
        [order.id, order.idempotencyKey ?? null, order.requestHash, order.email],
      );
      return result.rowCount === 1;
    });
  }

  async findByIdempotencyKey(key: string): Promise<StoredOrder | undefined> {
    return withDatabase(async () => {
      const { rows } = await this.pool.query<OrderRow>('SELECT * FROM orders WHERE idempotency_key = $1', [key]);
      return rows[0] ? this.withItems(rows[0]) : undefined;
    });
  }

  async findById(id: string): Promise<StoredOrder | undefined> {
    return withDatabase(async () => {
      const { rows } = await this.pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
      return rows[0] ? this.withItems(rows[0]) : undefined;
    });
  }

  async list(limit: number): Promise<StoredOrder[]> {
    return withDatabase(async () => {
      const { rows } = await this.pool.query<OrderRow>('SELECT * FROM orders ORDER BY created_at DESC LIMIT $1', [limit]);
      const items = await this.itemsOf(rows.map((row) => row.id));
      return rows.map((row) => toOrder(row, items.get(row.id) ?? []));
    });
  }

  async setStatus(id: string, status: Exclude<OrderStatus, 'confirmed'>): Promise<void> {
    await withDatabase(() => this.pool.query('UPDATE orders SET status = $2, updated_at = now() WHERE id = $1', [id, status]));
  }

  async delete(id: string): Promise<void> {
    await withDatabase(() => this.pool.query('DELETE FROM orders WHERE id = $1', [id]));
  }

  /** Records the items and the charge and confirms the order, all or nothing. */
  async confirm(id: string, confirmation: { items: PricedItem[]; totalCents: number; cardLast4: string; chargeId: string }): Promise<void> {
    await withDatabase(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('DELETE FROM order_items WHERE order_id = $1', [id]);
        for (const item of confirmation.items) {
          await client.query(
            'INSERT INTO order_items (order_id, product_id, name, quantity, unit_price_cents) VALUES ($1, $2, $3, $4, $5)',
            [id, item.productId, item.name, item.quantity, item.unitPriceCents],
          );
        }
        await client.query(
          `UPDATE orders SET status = 'confirmed', total_cents = $2, card_last4 = $3, charge_id = $4, updated_at = now() WHERE id = $1`,
          [id, confirmation.totalCents, confirmation.cardLast4, confirmation.chargeId],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    });
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private async withItems(row: OrderRow): Promise<StoredOrder> {
    return toOrder(row, (await this.itemsOf([row.id])).get(row.id) ?? []);
  }

  private async itemsOf(orderIds: string[]): Promise<Map<string, PricedItem[]>> {
    const byOrder = new Map<string, PricedItem[]>();
    if (orderIds.length === 0) return byOrder;
    const { rows } = await this.pool.query<{ order_id: string; product_id: string; name: string; quantity: number; unit_price_cents: number }>(
      'SELECT * FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY product_id',
      [orderIds],
    );
    for (const row of rows) {
      const items = byOrder.get(row.order_id) ?? [];
      items.push({ productId: row.product_id, name: row.name, quantity: row.quantity, unitPriceCents: row.unit_price_cents });
      byOrder.set(row.order_id, items);
    }
    return byOrder;
  }
}
