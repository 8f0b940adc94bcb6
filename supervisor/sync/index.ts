// The device side of the team hub: enrollment, the sync link, receipts, proofs.

export type { DeviceKey } from './device-key.ts';
export { loadDeviceKey } from './device-key.ts';
export type { HubTarget } from './hub-client.ts';
export { SyncLink } from './link.ts';
export type { SyncLinkOptions, SyncLog } from './options.ts';
