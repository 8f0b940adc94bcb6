export { MODEL_API_HOSTS, modelApiOf } from './apis.ts';
export { spendRulesOf } from './budgets.ts';
export { type BudgetsNow, spendHandlers } from './handlers.ts';
export { dayOf, monthOf, SpendLedger } from './ledger.ts';
export { ExchangeMeter } from './meter.ts';
export { PRICES, PRICES_AS_OF, priceOf } from './prices.ts';
export { budgetRefusal, type ProviderRefusal, providerRefusal } from './provider-errors.ts';
export { DEFAULT_READ_LIMITS, UsageReader } from './read-usage.ts';
export { type SpendOpening, SpendService } from './service.ts';
