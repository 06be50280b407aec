// One hop of the two-hop chain the shop is measured against: the least an Express service does. With
// UPSTREAM set it answers GET /api/products by fetching /products from it (fetch, the client the shop's
// services use); without, it answers /products with a list shaped like the catalog's.
import express from 'express';

const port = Number(process.env.PORT);
const upstream = process.env.UPSTREAM;
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('hop: PORT must be a port number\n');
  process.exit(2);
}

const products = Array.from({ length: 12 }, (_, index) => ({
  id: `p-${String(index + 1).padStart(3, '0')}`,
  name: `Product ${index + 1}`,
  description: 'A product of the two-hop chain.',
  priceCents: 1000 + index,
  currency: 'EUR',
  stock: 1_000_000,
}));

const app = express();
app.get('/readyz', (_req, res) => {
  res.send('ok');
});
if (upstream) {
  app.get('/api/products', async (_req, res, next) => {
    try {
      const answer = await fetch(new URL('/products', upstream), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
      res.status(answer.status).json(await answer.json());
    } catch (error) {
      next(error);
    }
  });
} else {
  app.get('/products', (_req, res) => {
    res.json({ products });
  });
}
const server = app.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
