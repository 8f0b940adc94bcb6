// Which rules can match a host, without trying each: host patterns compiled into maps. A rule
// for an exact name is filed under that name, a `*.` or `**.` rule under its suffix; rules
// for any host, addresses and networks are tried for every host. The candidates come out in
// rule order, so the first of them that matches is the rule a scan of all of them finds
// (first match wins): a rule left out could not have matched the host.

import type { CompiledRule } from './compiled-rule.ts';
import type { HostFacts } from './host-name.ts';

export class RuleIndex {
  readonly #byHost = new Map<string, number[]>();
  readonly #bySuffix = new Map<string, number[]>();
  /** Rules whose pattern is no name (`*`, an address, a network): tried for every host. */
  readonly #always: number[] = [];

  constructor(rules: readonly CompiledRule[]) {
    const file = (map: Map<string, number[]>, key: string, i: number) => {
      const list = map.get(key);
      if (list) list.push(i);
      else map.set(key, [i]);
    };
    rules.forEach((rule, i) => {
      const pattern = rule.parsed.host;
      if (pattern.kind === 'exact') file(this.#byHost, pattern.host, i);
      else if (pattern.kind === 'one-label' || pattern.kind === 'any-depth')
        file(this.#bySuffix, pattern.suffix, i);
      else this.#always.push(i);
    });
  }

  /** Indexes (ascending) of the rules whose host pattern may match `facts`. */
  candidates(facts: HostFacts): readonly number[] {
    const lists: number[][] = [];
    if (facts.ip === null) {
      const h = facts.host;
      const exact = this.#byHost.get(h);
      if (exact) lists.push(exact);
      if (this.#bySuffix.size > 0) {
        for (let dot = h.indexOf('.'); dot !== -1; dot = h.indexOf('.', dot + 1)) {
          const list = this.#bySuffix.get(h.slice(dot + 1));
          if (list) lists.push(list);
        }
      }
    }
    if (this.#always.length > 0) lists.push(this.#always);
    if (lists.length === 0) return [];
    if (lists.length === 1) return lists[0] as number[];
    return lists.flat().sort((a, b) => a - b);
  }
}
