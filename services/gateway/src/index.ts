// What the gateway is made of, for tests that compose the shop in one process; the program is main.ts.
export { createApp } from './app';
