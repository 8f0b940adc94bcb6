// The Freelens 1 / OpenLens renderer host in a page (test-only): React 17, MobX 6 and
// mobx-react 7 as the top-level globals React, ReactDOM, Mobx, MobxReact, and the API on
// LensExtensions; the extension's renderer is a CommonJS entry, `require(entry).default`.

import * as Mobx from 'mobx';
import * as MobxReact from 'mobx-react';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { makeRendererApi } from './host-page.ts';

const Renderer = makeRendererApi({
  flavor: 'legacy',
  createElement: React.createElement as never,
  catalog: Mobx.observable.array<unknown>([], { deep: false }) as never,
  render(el, node) {
    (ReactDOM as unknown as { render(n: unknown, e: HTMLElement): void }).render(node, el);
  },
});
const g = globalThis as Record<string, unknown>;
g.React = React;
g.ReactDOM = ReactDOM;
g.Mobx = Mobx;
g.MobxReact = MobxReact;
g.LensExtensions = { Common: { logger: console }, Renderer };
g.hostVersions = { react: React.version, flavor: 'legacy' };
