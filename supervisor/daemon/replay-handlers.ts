// The what-if replay's routes: turn the change asked about (two policy files, a layer edit,
// or an "always" answer to a waiting approval) into the policies before and after it, per
// sandbox, and start the replay as a task; then its result by task id.

import { WardenError } from '../api/errors.ts';
import type { ReplayChangeSpec, ReplayRequest } from '../api/replay-types.ts';
import type { ApprovalQueue } from '../approvals/index.ts';
import { parseTimeArg } from '../audit/index.ts';
import { type PolicyLayer, parsePolicy } from '../policy/index.ts';
import type { ReplayPairs, ReplayService } from '../replay/index.ts';
import type { PolicyLayers } from '../sandboxes/policy-layers.ts';
import type { Handlers } from '../server/server.ts';

type ReplayRoutes = 'POST /v1/policy/replay' | 'GET /v1/policy/replay/:taskId';

export interface ReplayHandlerDeps {
  replays: ReplayService;
  layers: PolicyLayers;
  approvals: ApprovalQueue;
}

function parsed(
  text: { yaml: string; source?: string },
  layer: 'project' | 'base',
  label: string,
): PolicyLayer {
  const source = text.source ?? label;
  const result = parsePolicy(text.yaml, source);
  if (!result.ok) {
    throw new WardenError(
      'PolicyInvalid',
      `the ${label} policy (${source}) is not valid`,
      'fix it and run the replay again',
      {
        errors: result.errors,
      },
    );
  }
  return { layer, source, document: result.document, lines: result.lines };
}

function since(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseTimeArg(text, Date.now());
  } catch (error) {
    throw new WardenError('BadRequest', `since: ${(error as Error).message}`);
  }
}

interface Planned {
  pairs: ReplayPairs;
  title: string;
  /** The one sandbox the change is about, when it is about one. */
  sandbox?: string;
}

function plan(change: ReplayChangeSpec, d: ReplayHandlerDeps): Planned {
  if (change.kind === 'documents') {
    const base = change.base ? [parsed(change.base, 'base', 'base')] : [];
    const before = parsed(change.before, 'project', 'before');
    const after = parsed(change.after, 'project', 'after');
    return {
      pairs: { all: { before: [before, ...base], after: [after, ...base] } },
      title: `What if: ${before.source} → ${after.source}`,
    };
  }
  if (change.kind === 'layer') {
    const { pairs, sandbox } = d.layers.replayLayerChange({
      layer: change.layer,
      yaml: change.yaml,
      ...(change.sandboxId ? { sandboxId: change.sandboxId } : {}),
    });
    const what = change.layer === 'base' ? 'the base policy' : `the project policy of ${sandbox}`;
    return { pairs, title: `What if: an edit of ${what}`, ...(sandbox ? { sandbox } : {}) };
  }
  const approval = d.approvals.list('pending').find((a) => a.id === change.approvalId);
  if (!approval) {
    throw new WardenError(
      'ApprovalNotFound',
      `no waiting approval ${change.approvalId}`,
      'it may have been answered or expired',
    );
  }
  const rule = { ...(change.rule ?? approval.suggestedRule), action: change.decision };
  const pair = d.layers.replaySessionRule(approval.sandboxId, rule);
  return {
    pairs: { bySandbox: { [approval.sandboxId]: pair } },
    title: `What if: always ${change.decision} ${rule.match}`,
    sandbox: approval.sandboxId,
  };
}

export function replayHandlers(d: ReplayHandlerDeps): Pick<Handlers, ReplayRoutes> {
  return {
    'POST /v1/policy/replay': ({ body, user }) => {
      const request = body as ReplayRequest;
      const from = since(request.since);
      const planned = plan(request.change, d);
      if (planned.sandbox && request.sandbox && planned.sandbox !== request.sandbox) {
        throw new WardenError(
          'BadRequest',
          `this change is about sandbox ${planned.sandbox}, not ${request.sandbox}`,
          'leave out the sandbox filter',
        );
      }
      const sandbox = planned.sandbox ?? request.sandbox;
      const taskId = d.replays.start({
        pairs: planned.pairs,
        title: planned.title,
        user,
        ...(from !== undefined ? { since: from } : {}),
        ...(sandbox ? { sandbox } : {}),
      });
      return { taskId };
    },
    'GET /v1/policy/replay/:taskId': ({ params }) => d.replays.result(params.taskId),
  };
}
