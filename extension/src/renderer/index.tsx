// The renderer entry, the same source for both packages: a status bar item, the global page
// "Agents", a command palette entry, a welcome menu entry, the preferences pane and the
// deep link freelens://extension/<name>/approvals/<id>. Nothing here reaches the daemon:
// main does, over the extension IPC (in Freelens 2 this page has no Node at all).

import { Renderer } from '@freelensapp/extensions';
import React from 'react';
import { type CatalogCluster, WARDEN_IPC } from '../common/ipc.ts';
import { AgentsPage } from './AgentsPage.tsx';
import { PreferencesHint, PreferencesInput } from './Preferences.tsx';
import { StatusBarItem } from './StatusBarItem.tsx';
import { WardenStore } from './store.ts';
import { addStyles } from './styles.ts';

export const AGENTS_PAGE = 'agents';

interface ClusterEntity {
  metadata?: { name?: unknown };
  spec?: { kubeconfigPath?: unknown; kubeconfigContext?: unknown };
}

/** The KubernetesCluster entities of the host's catalog (Renderer.Catalog, where it has one). */
function catalogClusters(): CatalogCluster[] {
  const catalog = Renderer.Catalog?.catalogEntities;
  if (typeof catalog?.getItemsForApiKind !== 'function') return [];
  const out: CatalogCluster[] = [];
  for (const e of catalog.getItemsForApiKind(
    'entity.k8slens.dev/v1alpha1',
    'KubernetesCluster',
  ) as ClusterEntity[]) {
    const name = e.metadata?.name;
    const kubeconfigPath = e.spec?.kubeconfigPath;
    const kubeconfigContext = e.spec?.kubeconfigContext;
    if (
      typeof name === 'string' &&
      typeof kubeconfigPath === 'string' &&
      typeof kubeconfigContext === 'string'
    )
      out.push({ name, kubeconfigPath, kubeconfigContext });
  }
  return out.slice(0, 200);
}

class WardenRendererIpc extends Renderer.Ipc {}

export default class WardenRendererExtension extends Renderer.LensExtension {
  readonly store = new WardenStore();
  #removeStyles: (() => void) | undefined;
  #stopFocus: (() => void) | undefined;

  #open = (): void => {
    void this.navigate(AGENTS_PAGE);
  };

  override globalPages = [
    {
      id: AGENTS_PAGE,
      components: { Page: () => <AgentsPage store={this.store} /> },
    },
  ];

  override statusBarItems = [
    {
      components: {
        Item: () => <StatusBarItem store={this.store} open={this.#open} />,
        position: 'right' as const,
      },
    },
  ];

  override commands = [
    { id: 'warden-agents', title: 'Warden: Show agents and approvals', action: () => this.#open() },
  ];

  override welcomeMenus = [
    { title: 'Warden: agents and approvals', icon: 'security', click: () => this.#open() },
  ];

  override appPreferences = [
    {
      title: 'Warden',
      id: 'warden',
      components: { Input: () => <PreferencesInput store={this.store} />, Hint: () => <PreferencesHint /> },
    },
  ];

  override protocolHandlers = [
    {
      pathSchema: '/approvals/:id',
      handler: ({ pathname }: { pathname: Record<string, string | undefined> }) => {
        const id = pathname.id;
        if (id && id.length <= 200) this.store.focus(id);
        this.#open();
      },
    },
  ];

  override async onActivate(): Promise<void> {
    this.#removeStyles = addStyles(document);
    const ipc = WardenRendererIpc.createInstance(this);
    await this.store.attach(ipc);
    this.store.watchCatalog(catalogClusters);
    // A notification of main was clicked: show its approval.
    this.#stopFocus = ipc.listen(WARDEN_IPC.focus, (_event, id) => {
      if (typeof id === 'string' && id.length <= 200) this.store.focus(id);
      this.#open();
    });
  }

  override onDeactivate(): void {
    this.#stopFocus?.();
    this.store.detach();
    this.#removeStyles?.();
  }
}
