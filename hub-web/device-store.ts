// A device's detail page (MobX): the device, its records (keyset pages by time), its receipts
// (keyset by seq), its spot-checks, and the proof of a record saved as a file.

import { makeAutoObservable, runInAction } from 'mobx';
import type { HubDeviceDetail, HubEventView, HubReceiptView } from '../supervisor/api/hub-admin.ts';
import type { HubAdminApi } from './api.ts';

export class DeviceDetailStore {
  id = '';
  detail: HubDeviceDetail | null = null;
  records: HubEventView[] = [];
  /** Cursors of the record pages before the current one ('' = the newest page). */
  pages: string[] = [];
  cursor = '';
  next: string | null = null;
  olderReceipts: HubReceiptView[] = [];
  nextReceipts: number | null = null;
  /** The last proof downloaded: its file name (the test reads it). */
  lastProof: string | null = null;

  constructor(
    readonly api: HubAdminApi,
    readonly fail: (e: unknown) => void,
  ) {
    makeAutoObservable(this, { api: false, fail: false });
  }

  async open(id: string): Promise<void> {
    this.id = id;
    this.detail = null;
    this.records = [];
    this.pages = [];
    this.olderReceipts = [];
    this.nextReceipts = null;
    await this.refresh();
    await this.loadRecords('');
  }

  /** The live refresh: the device, its newest receipts and its spot-checks (records on page 1). */
  async refresh(): Promise<void> {
    if (!this.id) return;
    try {
      const detail = await this.api.device(this.id);
      runInAction(() => {
        this.detail = detail;
        if (this.olderReceipts.length === 0) this.nextReceipts = detail.nextReceipts;
      });
      if (this.cursor === '') await this.loadRecords('');
    } catch (e) {
      this.fail(e);
    }
  }

  async loadRecords(cursor: string): Promise<void> {
    try {
      const page = await this.api.events({ device: this.id, cursor: cursor || undefined, limit: 20 });
      runInAction(() => {
        this.records = page.events;
        this.next = page.next;
        this.cursor = cursor;
      });
    } catch (e) {
      this.fail(e);
    }
  }

  async older(): Promise<void> {
    if (!this.next) return;
    this.pages.push(this.cursor);
    await this.loadRecords(this.next);
  }

  async newer(): Promise<void> {
    const before = this.pages.pop();
    if (before !== undefined) await this.loadRecords(before);
  }

  async moreReceipts(): Promise<void> {
    if (this.nextReceipts === null) return;
    try {
      const page = await this.api.receipts(this.id, this.nextReceipts);
      runInAction(() => {
        this.olderReceipts.push(...page.receipts);
        this.nextReceipts = page.next;
      });
    } catch (e) {
      this.fail(e);
    }
  }

  async spotCheck(seqsText: string): Promise<void> {
    const seqs = seqsText
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    try {
      await this.api.spotCheck(this.id, seqs);
      await this.refresh();
    } catch (e) {
      this.fail(e);
    }
  }

  /** Fetch the proof and save it as a file (what `warden audit check-proof FILE` reads). */
  async downloadProof(device: string, seq: number): Promise<void> {
    try {
      const proof = await this.api.proof(device, seq);
      const name = `warden-proof-${device.slice(0, 8)}-${seq}.json`;
      const url = URL.createObjectURL(
        new Blob([`${JSON.stringify(proof, null, 2)}\n`], { type: 'application/json' }),
      );
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      runInAction(() => (this.lastProof = name));
    } catch (e) {
      this.fail(e);
    }
  }
}
