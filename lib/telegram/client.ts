import { redact } from '../db/connectionErrors';
import { parseChatId } from './chatId';
import { fetchPostJson, transportError, type PostJson } from './transport';

export interface TelegramConfig {
	baseUrl: string;
	token: string;
	requestTimeoutMs: number;
	/** Default: Node's fetch. The nodes pass n8n's httpRequest helper. */
	post?: PostJson;
}

/**
 * - rate_limited: 429, wait retry_after;
 * - transient: 5xx or no answer (maybeDelivered: the request may have reached Telegram);
 * - permanent: this chat cannot get it (403 blocked, 400 chat not found): failed;
 * - fatal: the bot itself is unusable (401 token refused, 404 wrong base URL): stop, keep the queue.
 */
export type SendResult =
	| { ok: true; messageId: string }
	| { ok: false; kind: 'rate_limited'; retryAfterSeconds: number; description: string }
	| { ok: false; kind: 'transient'; description: string; httpStatus?: number; maybeDelivered: boolean }
	| { ok: false; kind: 'permanent'; description: string; httpStatus: number }
	| { ok: false; kind: 'fatal'; description: string; httpStatus: number };

const TOKEN_SHAPE = /^\d{1,20}:[A-Za-z0-9_-]{10,}$/;

export function checkToken(token: string): void {
	if (!TOKEN_SHAPE.test(token.trim())) {
		throw new Error('The Telegram bot token does not look like "<digits>:<letters>" (from @BotFather)');
	}
}

/** Why the whole run must stop, in words for the error (never the token). */
function fatalReason(status: number, description: string, baseUrl: string): string {
	if (status === 401) {
		return `Telegram refused the bot token (401 ${description}): it was revoked or mistyped. Put a valid token from @BotFather into the GetCourse Bot Telegram credential; the notifications stay pending.`;
	}
	return `The Bot API at ${baseUrl} answered 404 (${description}): check the Base URL of the GetCourse Bot Telegram credential (and the token); the notifications stay pending.`;
}

/** Calls sendMessage with HTML parse mode (and an inline keyboard, when given) and classifies the answer. Never throws. A chat id `-100123:45` names forum topic 45. */
export async function sendMessage(cfg: TelegramConfig, chatId: string, text: string, replyMarkup?: object | null): Promise<SendResult> {
	const base = cfg.baseUrl.replace(/\/+$/, '');
	const url = `${base}/bot${cfg.token}/sendMessage`;
	const post = cfg.post ?? fetchPostJson;
	let res: Awaited<ReturnType<PostJson>>;
	try {
		const to = parseChatId(chatId);
		const body = {
			chat_id: to.chatId,
			...(to.threadId ? { message_thread_id: to.threadId } : {}),
			text,
			parse_mode: 'HTML',
			...(replyMarkup ? { reply_markup: replyMarkup } : {}),
		};
		res = await post(url, body, cfg.requestTimeoutMs);
	} catch (err) {
		const e = transportError(err, cfg.requestTimeoutMs);
		return { ok: false, kind: 'transient', description: redact(`network error: ${e.message}`, [cfg.token]), maybeDelivered: e.maybeDelivered };
	}
	const body = (res.body && typeof res.body === 'object' ? res.body : {}) as {
		ok?: boolean;
		result?: { message_id?: number };
		description?: string;
		parameters?: { retry_after?: number };
	};
	const description = redact(String(body.description ?? `HTTP ${res.status}`), [cfg.token]);
	if (res.status >= 200 && res.status < 300 && body.ok && body.result?.message_id !== undefined) {
		return { ok: true, messageId: String(body.result.message_id) };
	}
	if (res.status === 429) {
		const retry = Number(body.parameters?.retry_after ?? res.headers['retry-after'] ?? 1);
		return { ok: false, kind: 'rate_limited', retryAfterSeconds: Number.isFinite(retry) && retry > 0 ? retry : 1, description };
	}
	if (res.status === 401 || res.status === 404) {
		return { ok: false, kind: 'fatal', description: redact(fatalReason(res.status, description, base), [cfg.token]), httpStatus: res.status };
	}
	if (res.status >= 500 || (res.status >= 200 && res.status < 300)) {
		return { ok: false, kind: 'transient', description, httpStatus: res.status, maybeDelivered: false };
	}
	// 400 chat not found, 403 blocked: sending again will not help.
	return { ok: false, kind: 'permanent', description, httpStatus: res.status };
}
