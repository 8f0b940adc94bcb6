// What the renderer needs of the host's Renderer.Ipc: invoke a main handler, listen to a
// broadcast. The store is written against this, so a test can drive it too.

export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  listen(channel: string, listener: (event: unknown, ...args: unknown[]) => void): () => void;
}
