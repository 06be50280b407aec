import { commonConfig, env } from '@qoslab/http-kit';
import { z } from 'zod';
import { SERVICE_PORTS } from '@qoslab/contracts';

export const configSchema = commonConfig({ port: SERVICE_PORTS.payments }).extend({
  /** Mean simulated provider latency; each charge takes between half and one and a half times this. */
  PAYMENTS_LATENCY_MS: env.milliseconds.default(50),
  /** Share of charges the simulated provider declines (0 to 1). */
  PAYMENTS_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
});
