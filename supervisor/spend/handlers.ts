// The spend route: what each sandbox spent on models this UTC day and month, per model.

import type { Handlers } from '../server/server.ts';
import type { SpendService } from './service.ts';

export function spendHandlers(
  spend: SpendService,
  now: () => Date = () => new Date(),
): Pick<Handlers, 'GET /v1/spend'> {
  return { 'GET /v1/spend': () => spend.ledger.view(now()) };
}
