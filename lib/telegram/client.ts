import { redact } from '../db/connectionErrors';

export interface TelegramConfig {
	baseUrl: string;
	token: string;
	requestTimeoutMs: number;
}

export type SendResult =
	| { ok: true; messageId: string }
	| { ok: false; kind: 'rate_limited'; retryAfterSeconds: number; description: string }
	| { ok: false; kind: 'transient' | 'permanent'; description: string; httpStatus?: number };

const TOKEN_SHAPE = /^\d{1,20}:[A-Za-z0-9_-]{10,}$/;

export function checkToken(token: string): void {
	if (!TOKEN_SHAPE.test(token.trim())) {
		throw new Error('The Telegram bot token does not look like "<digits>:<letters>" (from @BotFather)');
	}
}

/** Calls sendMessage with HTML parse mode and classifies the answer. Never throws. */
export async function sendMessage(cfg: TelegramConfig, chatId: string, text: string): Promise<SendResult> {
	const url = `${cfg.baseUrl.replace(/\/+$/, '')}/bot${cfg.token}/sendMessage`;
	let res: Response;
	try {
		res = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ chat_id: chatId, text, parse_mode: 'HTML' }),
			signal: AbortSignal.timeout(cfg.requestTimeoutMs),
		});
	} catch (err) {
		const e = err as Error & { cause?: { code?: string; message?: string } };
		const why = e.name === 'TimeoutError' ? `no answer within ${cfg.requestTimeoutMs} ms` : e.cause?.code ?? e.cause?.message ?? e.message;
		return { ok: false, kind: 'transient', description: redact(`network error: ${why}`, [cfg.token]) };
	}
	let body: { ok?: boolean; result?: { message_id?: number }; description?: string; parameters?: { retry_after?: number } } = {};
	try {
		body = (await res.json()) as typeof body;
	} catch {
		body = {};
	}
	const description = redact(String(body.description ?? `HTTP ${res.status}`), [cfg.token]);
	if (res.ok && body.ok && body.result?.message_id !== undefined) {
		return { ok: true, messageId: String(body.result.message_id) };
	}
	if (res.status === 429) {
		const retry = Number(body.parameters?.retry_after ?? res.headers.get('retry-after') ?? 1);
		return { ok: false, kind: 'rate_limited', retryAfterSeconds: Number.isFinite(retry) && retry > 0 ? retry : 1, description };
	}
	if (res.status >= 500 || res.ok) return { ok: false, kind: 'transient', description, httpStatus: res.status };
	// 400 chat not found, 403 blocked, 401 bad token: sending again will not help.
	return { ok: false, kind: 'permanent', description, httpStatus: res.status };
}
