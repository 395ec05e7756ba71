import type {
	ICredentialDataDecryptedObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeType,
	IWebhookFunctions,
} from 'n8n-workflow';
import { createHash } from 'node:crypto';
import { NodeHelpers } from 'n8n-workflow';
import { Container } from '@n8n/di';
import { OutboundHttp } from '@n8n/backend-network';

export interface RunOptions {
	items?: INodeExecutionData[];
	parameters?: Record<string, unknown>;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	continueOnFail?: boolean;
	/** Node version; default: the description's defaultVersion, else its highest version. */
	version?: number;
	/** Collects what the node writes to n8n's log ("warn: …"). */
	logs?: string[];
	/** The workflow the trigger is in (coalesced starts are kept per workflow and node). */
	workflowId?: string;
}

/**
 * Runs a node's execute() the way n8n's engine calls it: parameters resolved against the
 * node description's defaults (n8n-workflow's NodeHelpers.getNodeParameters), credentials
 * by type, input items, continueOnFail. Only the functions these nodes use are present.
 */
export async function runNode(nodeType: INodeType, o: RunOptions): Promise<INodeExecutionData[][]> {
	const d = nodeType.description;
	const typeVersion = o.version ?? d.defaultVersion ?? Math.max(...([] as number[]).concat(d.version));
	const node: INode = {
		id: 'test-node',
		name: d.defaults.name ?? d.displayName,
		type: `n8n-nodes-getcourse-bot.${d.name}`,
		typeVersion,
		position: [0, 0],
		parameters: {},
		// Credentials the test hands over count as set on the node, as n8n's editor would have it;
		// different data is a different credential (its own id), as in n8n.
		credentials: Object.fromEntries(
			Object.entries(o.credentials).map(([type, data]) => [type, { id: `${type}-${createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 12)}`, name: type }]),
		),
	};
	const resolved = NodeHelpers.getNodeParameters(d.properties, (o.parameters ?? {}) as never, true, false, node, d) ?? {};
	node.parameters = resolved;
	const items = o.items ?? [{ json: {} }];
	const ctx = {
		getInputData: () => items,
		getNode: () => node,
		continueOnFail: () => Boolean(o.continueOnFail),
		logger: Object.fromEntries(['debug', 'info', 'warn', 'error'].map((level) => [level, (m: string) => o.logs?.push(`${level}: ${m}`)])),
		getNodeParameter: (name: string, _i: number, fallback?: unknown) => {
			const v = name.split('.').reduce<unknown>((acc, k) => (acc as Record<string, unknown> | undefined)?.[k], resolved);
			if (v === undefined) {
				if (arguments.length >= 3 || fallback !== undefined) return fallback;
				throw new Error(`Could not get parameter "${name}"`);
			}
			return v;
		},
		// n8n's own outbound HTTP (what helpers.httpRequest calls inside n8n)
		helpers: { httpRequest: (options: never) => Container.get(OutboundHttp).requests().request(options) },
		getCredentials: async (type: string) => {
			const c = o.credentials[type];
			if (!c) throw new Error(`Node does not have any credentials set for "${type}"`);
			return c;
		},
	} as unknown as IExecuteFunctions;
	return nodeType.execute!.call(ctx);
}

export interface WebhookCall {
	parameters?: Record<string, unknown>;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	query?: Record<string, unknown>;
	body?: unknown;
	headers?: Record<string, string>;
	/** Collects what the node writes to n8n's log ("warn: …"). */
	logs?: string[];
}

export interface WebhookAnswer {
	status: number;
	headers: Record<string, string>;
	body: Record<string, unknown>;
	/** The items of the execution the call starts, if any. */
	workflowData: unknown;
}

/**
 * Calls a trigger node's webhook() the way n8n does for one HTTP request (express-like response,
 * parameters resolved against the description's defaults, credentials by type).
 */
export async function runWebhook(nodeType: INodeType, o: WebhookCall): Promise<WebhookAnswer> {
	const d = nodeType.description;
	const node: INode = {
		id: 'test-trigger',
		name: d.defaults.name ?? d.displayName,
		type: `n8n-nodes-getcourse-bot.${d.name}`,
		typeVersion: Math.max(...([] as number[]).concat(d.version)),
		position: [0, 0],
		parameters: {},
		credentials: Object.fromEntries(
			Object.entries(o.credentials).map(([type, data]) => [type, { id: `${type}-${createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 12)}`, name: type }]),
		),
	};
	const resolved = NodeHelpers.getNodeParameters(d.properties, (o.parameters ?? {}) as never, true, false, node, d) ?? {};
	node.parameters = resolved;
	const bodyText = o.body === undefined ? '' : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
	const answer: WebhookAnswer = { status: 0, headers: {}, body: {}, workflowData: undefined };
	const res = {
		setHeader: (name: string, value: string) => void (answer.headers[name.toLowerCase()] = String(value)),
		status(code: number) {
			answer.status = code;
			return res;
		},
		json: (body: Record<string, unknown>) => void (answer.body = body),
	};
	const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(bodyText)), ...o.headers };
	const ctx = {
		getNode: () => node,
		getWorkflow: () => ({ id: o.workflowId ?? 'test-workflow', name: 'test', active: true }),
		getNodeParameter: (name: string, fallback?: unknown) => {
			const v = name.split('.').reduce<unknown>((acc, k) => (acc as Record<string, unknown> | undefined)?.[k], resolved);
			return v === undefined ? fallback : v;
		},
		getRequestObject: () => ({ headers, rawBody: Buffer.from(bodyText) }),
		getResponseObject: () => res,
		getQueryData: () => o.query ?? {},
		getBodyData: () => (typeof o.body === 'object' && o.body !== null ? o.body : {}),
		getCredentials: async (type: string) => {
			const c = o.credentials[type];
			if (!c) throw new Error(`Node does not have any credentials set for "${type}"`);
			return c;
		},
		logger: Object.fromEntries(['debug', 'info', 'warn', 'error'].map((level) => [level, (m: string) => o.logs?.push(`${level}: ${m}`)])),
	} as unknown as IWebhookFunctions;
	const out = await nodeType.webhook!.call(ctx);
	answer.workflowData = out.workflowData;
	return answer;
}
