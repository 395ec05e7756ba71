/**
 * How a Telegram request travels. The nodes pass n8n's own httpRequest helper (it honours n8n's
 * proxy settings); the command line and the tests use Node's fetch. lib/ stays free of n8n.
 */
export interface HttpResponse {
	status: number;
	body: unknown;
	headers: Record<string, string | undefined>;
}

export type PostJson = (url: string, body: object, timeoutMs: number) => Promise<HttpResponse>;

/** A request that got no HTTP answer. `maybeDelivered`: it may have reached Telegram (timeout, reset). */
export class TransportError extends Error {
	constructor(
		message: string,
		readonly code: string,
		readonly maybeDelivered: boolean,
	) {
		super(message);
		this.name = 'TransportError';
	}
}

/** Failures before the request could reach the server: certainly not delivered. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'SELF_SIGNED_CERT_IN_CHAIN']);

/** Turns any transport failure into a TransportError (never with the URL, which holds the token). */
export function transportError(err: unknown, timeoutMs: number): TransportError {
	if (err instanceof TransportError) return err;
	const e = (err ?? {}) as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
	const code = e.cause?.code ?? e.code ?? '';
	if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'ECONNABORTED' || code === 'UND_ERR_HEADERS_TIMEOUT' || /timeout/i.test(String(e.message))) {
		return new TransportError(`no answer within ${timeoutMs} ms`, 'TIMEOUT', true);
	}
	if (code && NEVER_SENT.has(code)) return new TransportError(code, code, false);
	return new TransportError(code || 'network error', code || 'NETWORK', true);
}

export const fetchPostJson: PostJson = async (url, body, timeoutMs) => {
	let res: Response;
	try {
		res = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
			signal: AbortSignal.timeout(timeoutMs),
		});
	} catch (err) {
		throw transportError(err, timeoutMs);
	}
	let parsed: unknown = {};
	try {
		parsed = await res.json();
	} catch {
		parsed = {};
	}
	return { status: res.status, body: parsed, headers: { 'retry-after': res.headers.get('retry-after') ?? undefined } };
};
