// The team hub (issue 15): storage (SQLite or PostgreSQL), ingest with continuity checks,
// the Merkle log and its receipts, the HTTP(S) server, and the hub's own verify.

export { AdminHttp } from './admin-http.ts';
export { AdminStore } from './admin-store.ts';
export { HubServer, type HubServerOptions, isLoopbackHost } from './http-server.ts';
export { openAdminHttp, openAdminStore } from './open-admin.ts';
export { openHub, openHubStore } from './open-hub.ts';
export { ALL_DEVICES, HubPolicies, type StoredPolicy } from './policies.ts';
export { requestRotation } from './rotation.ts';
export { HubService, type HubServiceOptions } from './service.ts';
export { defaultHubHome, hubPaths, readHubInfo, writeHubInfo } from './state.ts';
export type { AlertRow, DeviceRow, HubStore } from './store.ts';
export { alertVerifyProblems, sweepLag } from './sweeps.ts';
export { type HubVerifyReport, verifyHub } from './verify.ts';
