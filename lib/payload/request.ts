/** Turns what n8n's Webhook trigger emits ({headers, params, query, body}) — or a plain
 *  object from any other node — into one flat bag of parameters. Body wins over query. */

import { isObject } from './values';

export interface IncomingRequest {
	params: Record<string, unknown>;
	headers: Record<string, string>;
}


function parseBody(body: unknown): Record<string, unknown> {
	if (isObject(body)) return body;
	if (typeof body === 'string') {
		const text = body.trim();
		if (!text) return {};
		if (text.startsWith('{')) {
			try {
				const parsed = JSON.parse(text);
				if (isObject(parsed)) return parsed;
			} catch {
				return { _unparsed_body: text.slice(0, 10_000) };
			}
		}
		return Object.fromEntries(new URLSearchParams(text));
	}
	return {};
}

export function extractRequest(item: Record<string, unknown>): IncomingRequest {
	const looksLikeWebhook = 'body' in item && ('query' in item || 'headers' in item);
	const headers: Record<string, string> = {};
	if (looksLikeWebhook && isObject(item.headers)) {
		for (const [k, v] of Object.entries(item.headers)) headers[k.toLowerCase()] = String(v);
	}
	const query = looksLikeWebhook && isObject(item.query) ? item.query : {};
	let body = looksLikeWebhook ? parseBody(item.body) : { ...item };
	// The Tech API sometimes wraps its envelope as {"json": {...}} (or a JSON string).
	if (isObject(body) && 'json' in body && Object.keys(body).length <= 2) {
		const inner = typeof body.json === 'string' ? parseBody(body.json) : body.json;
		if (isObject(inner)) body = { ...inner };
	}
	return { params: { ...query, ...body }, headers };
}
