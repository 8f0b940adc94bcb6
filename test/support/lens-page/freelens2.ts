// The Freelens 2 renderer host in a page (test-only): React 19, MobX 7 and mobx-react 10 on
// globalThis.FreelensExtensionApi (api.md C2: React, ReactDom, ReactJsxRuntime, Mobx,
// MobxReact, Common, Renderer); the extension's renderer is imported by URL as an ES module.

import * as Mobx from 'mobx';
import * as MobxReact from 'mobx-react';
import * as React from 'react';
import * as ReactJsxRuntime from 'react/jsx-runtime';
import * as ReactDom from 'react-dom';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { makeRendererApi } from './host-page.ts';

const roots = new Map<HTMLElement, Root>();
const Renderer = makeRendererApi({
  flavor: 'freelens2',
  createElement: React.createElement as never,
  catalog: Mobx.observable.array<unknown>([], { deep: false }) as never,
  render(el, node) {
    let root = roots.get(el);
    if (!root) {
      root = createRoot(el);
      roots.set(el, root);
    }
    flushSync(() => root.render(node as React.ReactNode));
  },
});
const logger = console;
(globalThis as Record<string, unknown>).FreelensExtensionApi = {
  React,
  ReactDom,
  ReactJsxRuntime,
  Mobx,
  MobxReact,
  Common: { logger },
  Renderer,
};
(globalThis as Record<string, unknown>).hostVersions = { react: React.version, flavor: 'freelens2' };
