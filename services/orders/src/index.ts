// What orders is made of, for tests that compose the shop in one process; the program is main.ts.
export { createApp } from './app';
export { createPool } from './database';
export { migrate } from './migrations';
export { OrderService } from './order-service';
export { OrderRepository } from './repository';
