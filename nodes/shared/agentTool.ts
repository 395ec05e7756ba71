/**
 * The value of `usableAsTool` in every non-trigger node of this package: declared, as n8n's lint
 * rule asks, and not a tool. Each node writes — claims events, stores them, queues or sends
 * messages, deletes logs, edits reference data — and an AI agent must not decide to (issue 11).
 * n8n's type for the field is `true | UsableAsToolDescription` (no `false`); n8n offers a node as
 * a tool only when the field is truthy, so `undefined` is the explicit "no".
 */
export const NOT_AN_AGENT_TOOL = undefined;
