import { chargeRequest } from '@qoslab/contracts';
import { createServiceApp, parseRequest, type Readiness } from '@qoslab/http-kit';
import type { Logger } from '@qoslab/logger';
import type { Express } from 'express';
import type { PaymentProvider } from './provider';

export interface PaymentsDeps {
  logger: Logger;
  readiness: Readiness;
  provider: PaymentProvider;
  faultInjectionEnabled?: boolean;
}

export function createApp({ logger, readiness, provider, faultInjectionEnabled }: PaymentsDeps): Express {
  return createServiceApp({ service: 'payments', logger, readiness, faultInjectionEnabled }, (app) => {
    app.post('/charges', async (req, res) => {
      const body = parseRequest(chargeRequest, req.body, 'body');
      const { charge, replayed } = await provider.charge(body);
      res.status(replayed ? 200 : 201).json(charge);
    });
  });
}
