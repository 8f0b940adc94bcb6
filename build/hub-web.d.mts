export function buildHubWeb(options?: { outdir?: string; minify?: boolean }): Promise<string>;
