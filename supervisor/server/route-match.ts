// Route templates (`/v1/approvals/:id`) compiled to patterns and matched against request
// paths, and ajv errors turned into one line.

import type { ValidateFunction } from 'ajv';

export function compilePattern(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${template.replace(/:([A-Za-z]+)/g, (_m, n: string) => {
      names.push(n);
      return '([^/]+)';
    })}$`,
  );
  return { pattern, names };
}

/** The first compiled route matching `method` and `pathname`, with its decoded path params. */
export function matchRoute<R extends { method: string; pattern: RegExp; names: string[] }>(
  routes: readonly R[],
  method: string,
  pathname: string,
): { r: R; params: Record<string, string> } | undefined {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => {
      params[n] = decodeURIComponent(m[i + 1]!);
    });
    return { r, params };
  }
  return undefined;
}

export function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .filter((e) => e.keyword !== 'if') // "must match the then/else schema": its reasons are listed
    .map(
      (e) =>
        `${e.instancePath || '(body)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` "${e.params.additionalProperty}"` : ''}`,
    )
    .join('; ');
}
