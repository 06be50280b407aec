'use strict';

const cart = new Map();
/** The lab console's address, from the gateway's configuration (null when it has none). */
let consoleUrl = null;
const money = (cents) => `€${(cents / 100).toFixed(2)}`;
const $ = (id) => document.getElementById(id);

function text(tag, content, className) {
  const element = document.createElement(tag);
  element.textContent = content;
  if (className) element.className = className;
  return element;
}

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || body.title || `HTTP ${response.status}`);
  return body;
}

function renderCart() {
  const list = $('cart');
  list.replaceChildren();
  if (cart.size === 0) list.append(text('li', 'Your cart is empty.'));
  for (const { product, quantity } of cart.values()) list.append(text('li', `${quantity} × ${product.name} (${money(product.priceCents * quantity)})`));
}

async function loadProducts() {
  const { products } = await api('/api/products');
  const list = $('products');
  list.replaceChildren();
  for (const product of products) {
    const item = document.createElement('li');
    if (product.stock === 0) item.className = 'sold-out';
    const button = text('button', product.stock === 0 ? 'Sold out' : 'Add to cart');
    button.type = 'button';
    button.disabled = product.stock === 0;
    button.addEventListener('click', () => {
      const entry = cart.get(product.id) ?? { product, quantity: 0 };
      entry.quantity = Math.min(entry.quantity + 1, 10);
      cart.set(product.id, entry);
      renderCart();
    });
    item.append(text('strong', product.name), text('p', product.description), text('p', money(product.priceCents)), button);
    list.append(item);
  }
}

async function loadOrders() {
  const { orders } = await api('/api/orders?limit=10');
  const list = $('orders');
  list.replaceChildren();
  for (const order of orders) list.append(text('li', `${order.createdAt.slice(0, 19)} · ${order.status} · ${money(order.totalCents)} · ${order.id}`));
}

$('checkout').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const result = $('result');
  if (cart.size === 0) {
    result.className = 'error';
    result.textContent = 'Add something to the cart first.';
    return;
  }
  const body = {
    customer: { email: form.get('email') },
    items: [...cart.values()].map(({ product, quantity }) => ({ productId: product.id, quantity })),
    payment: { card: { number: String(form.get('card')).replace(/\s+/g, ''), expMonth: 12, expYear: 2030, cvc: '123' } },
  };
  try {
    const order = await api('/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify(body),
    });
    cart.clear();
    renderCart();
    result.className = 'ok';
    result.textContent = `Order ${order.id} confirmed: ${money(order.totalCents)}. `;
    if (consoleUrl) result.append(Object.assign(document.createElement('a'), { id: 'order-trace', href: `${consoleUrl}#order=${order.id}`, textContent: 'See its trace' }));
  } catch (error) {
    result.className = 'error';
    result.textContent = `Order failed: ${error.message}`;
  }
  await Promise.all([loadProducts(), loadOrders()]).catch(() => undefined);
});

api('/api/links')
  .then((links) => {
    consoleUrl = links.console;
    if (consoleUrl) Object.assign($('console-link'), { href: consoleUrl, hidden: false });
  })
  .catch(() => undefined);

Promise.all([loadProducts(), loadOrders()]).catch((error) => {
  $('products').replaceChildren(text('li', `Could not load the shop: ${error.message}`, 'error'));
});
