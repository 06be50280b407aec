/**
 * A map that stops growing at its limit: what the clients send (Host headers) or the routes produce
 * repeats, but a client can send endless new values, which are then computed each time instead.
 */
export class Memo<V> extends Map<string, V> {
  constructor(private readonly limit: number) {
    super();
  }

  of(key: string, compute: () => V): V {
    let value = this.get(key);
    if (value === undefined) {
      value = compute();
      if (this.size < this.limit) this.set(key, value);
    }
    return value;
  }
}
