// The sandboxed preload (bundled to CommonJS by build/main.mjs): named functions only.
import { contextBridge, ipcRenderer } from 'electron';
import { createWardenBridge, createWardenDesktop } from './preload-api.ts';

contextBridge.exposeInMainWorld('warden', createWardenBridge(ipcRenderer));
contextBridge.exposeInMainWorld('wardenDesktop', createWardenDesktop(ipcRenderer));
