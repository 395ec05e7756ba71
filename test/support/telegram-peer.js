'use strict';
/**
 * A tiny Telegram Bot API peer on loopback (127.0.0.1, random port) for integration and e2e tests.
 *
 *   const { createTelegramPeer } = require('./telegram-peer');
 *   const peer = createTelegramPeer({ token });   // token optional: when set, other tokens get 401
 *   createTelegramPeer({ enforceLimits: true })   // Telegram's limits: 429 retry_after when > 30 sends in any
 *                                                 // 1 s window overall, > 1 per chat per second, or > 20 to a
 *                                                 // group (negative chat id) in any 60 s window (peer.limited counts them)
 *   createTelegramPeer({ delayMs: 200 })          // answer every sendMessage after a delay (peer.delayMs is settable)
 *   const baseUrl = await peer.start();           // 'http://127.0.0.1:<port>'
 *   peer.failNext('42', peer.answers[429](2));    // next sendMessage to chat 42 answers 429 retry_after 2
 *   peer.failAlways('43', peer.answers[403]());   // every sendMessage to chat 43: bot was blocked
 *   peer.messages   // delivered: [{ token, chat_id, message_thread_id, text, parse_mode, reply_markup, message_id, at }] (reply_markup checked: 400 when malformed)
 *   peer.messagesTo('-100123:45')   // a forum topic: chat -100123, message_thread_id 45
 *   peer.requests   // every request: { method: 'sendMessage'|'getMe'|…, httpMethod, token, body, status, at }
 *   peer.reset();   // forget messages, requests and scripted failures
 *   await peer.stop();
 *
 * The module itself is also a ready peer (start/stop/reset/messages/requests/failFor/…), for
 * scripts that need just one.
 *
 * Implements /bot<token>/sendMessage (POST JSON, form-urlencoded, multipart, or query string) and
 * /bot<token>/getMe. Answers are Telegram-shaped: { ok: true, result } or
 * { ok: false, error_code, description, parameters? }. A failed send is not in `messages`.
 */

const http = require('node:http');
const { URL, URLSearchParams } = require('node:url');

const answers = {
	429: (retryAfter = 1) => ({
		status: 429,
		body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } },
	}),
	403: () => ({ status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } }),
	400: () => ({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } }),
	401: () => ({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } }),
	500: () => ({ status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }),
	502: () => ({ status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } }),
};

function readBody(req) {
	return new Promise((resolve, reject) => {
		let data = '';
		req.setEncoding('utf8');
		req.on('data', (chunk) => (data += chunk));
		req.on('end', () => resolve(data));
		req.on('error', reject);
	});
}

function parseParams(req, raw, url) {
	const params = Object.fromEntries(url.searchParams.entries());
	if (!raw) return params;
	const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
	if (type === 'application/x-www-form-urlencoded') {
		return { ...params, ...Object.fromEntries(new URLSearchParams(raw).entries()) };
	}
	if (type === 'multipart/form-data') {
		const out = { ...params };
		for (const m of raw.matchAll(/name="([^"]+)"\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*?)\r\n--/g)) out[m[1]] = m[2];
		return out;
	}
	try {
		return { ...params, ...JSON.parse(raw) };
	} catch {
		if (type === 'application/json') return { ...params, __invalidJson: true };
		return params;
	}
}

/** reply_markup as Telegram checks it: an inline keyboard of buttons with a text and an http(s) url (or callback_data). */
function readReplyMarkup(raw) {
	if (raw === undefined || raw === null || raw === '') return { value: null };
	let m = raw;
	if (typeof m === 'string') {
		try {
			m = JSON.parse(m);
		} catch {
			return { error: "can't parse reply keyboard markup JSON object" };
		}
	}
	const rows = m && m.inline_keyboard;
	if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r))) return { error: 'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays' };
	for (const b of rows.flat()) {
		if (!b || typeof b.text !== 'string' || !b.text) return { error: 'text buttons are unallowed in the inline keyboard' };
		if (b.url !== undefined && !/^https?:\/\/[^\s]+$/.test(String(b.url))) return { error: 'BUTTON_URL_INVALID' };
		if (b.url === undefined && b.callback_data === undefined) return { error: 'text buttons are unallowed in the inline keyboard' };
	}
	return { value: m };
}

function send(res, status, body) {
	const payload = JSON.stringify(body);
	res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
	res.end(payload);
}

function normaliseAnswer(answer) {
	if (answer && typeof answer.status === 'number' && answer.body) return answer;
	// Shorthands: 'blocked' | 'chat_not_found' | 403 | 400 | 500 | { code: 429, retryAfter }
	if (answer === 'blocked' || answer === 403) return answers[403]();
	if (answer === 'chat_not_found' || answer === 400) return answers[400]();
	if (answer === 'server_error' || answer === 500) return answers[500]();
	if (answer === 502) return answers[502]();
	if (answer && (answer.code === 429 || answer.kind === 'rate_limit')) return answers[429](answer.retryAfter ?? 1);
	if (answer === 429) return answers[429](1);
	throw new Error(`telegram-peer: unknown answer ${JSON.stringify(answer)}`);
}

function createTelegramPeer({ token: onlyToken, enforceLimits = false, delayMs = 0, overallPerSecond = 30, perChatPerSecond = 1, perGroupPerMinute = 20 } = {}) {
	let server = null;
	const accepted = []; // times of accepted sendMessage calls (enforceLimits)
	const lastByChat = new Map(); // chat → time of its last accepted sendMessage (enforceLimits)
	const groupSends = new Map(); // group chat → times of its accepted sendMessage calls in the last minute
	const limited = { overall: 0, perChat: 0, perGroup: 0 };

	/** Telegram's flood limits, as a 429 with retry_after, or null when within them. A topic counts against its group. */
	function floodCheck(chatId, now) {
		while (accepted.length && accepted[0] <= now - 1000) accepted.shift();
		const last = lastByChat.get(chatId);
		if (last !== undefined && now - last < 1000 / perChatPerSecond) {
			limited.perChat++;
			return answers[429](1);
		}
		const isGroup = chatId.startsWith('-');
		const minute = isGroup ? (groupSends.get(chatId) || []).filter((t) => t > now - 60000) : [];
		if (isGroup) groupSends.set(chatId, minute);
		if (minute.length >= perGroupPerMinute) {
			limited.perGroup++;
			return answers[429](Math.max(1, Math.ceil((minute[0] + 60000 - now) / 1000)));
		}
		if (accepted.length >= overallPerSecond) {
			limited.overall++;
			return answers[429](1);
		}
		accepted.push(now);
		lastByChat.set(chatId, now);
		if (isGroup) minute.push(now);
		return null;
	}
	let baseUrl = null;
	let nextMessageId = 1000;
	const messages = [];
	const requests = [];
	const nextFailures = new Map(); // chat → [answer, …]
	const alwaysFailures = new Map(); // chat → answer

	async function handle(req, res) {
		const url = new URL(req.url, 'http://127.0.0.1');
		const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
		const raw = await readBody(req);
		const params = parseParams(req, raw, url);
		if (params.chat_id !== undefined && params.chat_id !== null) params.chat_id = String(params.chat_id);
		const record = {
			method: match ? match[2] : null,
			httpMethod: req.method,
			path: url.pathname.replace(/^\/bot[^/]+/, '/bot<token>'),
			token: match ? match[1] : null,
			body: params,
			status: 0,
			at: Date.now(),
		};
		requests.push(record);
		const reply = (status, body) => {
			record.status = status;
			send(res, status, body);
		};
		if (!match) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
		const [, token, apiMethod] = match;
		if (onlyToken && token !== onlyToken) return reply(401, answers[401]().body);
		if (apiMethod === 'getMe') {
			return reply(200, {
				ok: true,
				result: { id: 7000000001, is_bot: true, first_name: 'Loopback Bot', username: 'loopback_test_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false },
			});
		}
		if (apiMethod !== 'sendMessage') return reply(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
		if (params.__invalidJson) return reply(400, { ok: false, error_code: 400, description: "Bad Request: can't parse JSON" });
		const chatId = params.chat_id || '';
		const text = params.text === undefined || params.text === null ? '' : String(params.text);
		if (!chatId) return reply(400, { ok: false, error_code: 400, description: 'Bad Request: chat_id is empty' });
		if (!text) return reply(400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
		if (text.length > 4096) return reply(400, { ok: false, error_code: 400, description: 'Bad Request: message is too long' });
		const markup = readReplyMarkup(params.reply_markup);
		if (markup.error) return reply(400, { ok: false, error_code: 400, description: `Bad Request: ${markup.error}` });
		const queued = nextFailures.get(chatId);
		if (queued && queued.length) {
			const answer = queued.shift();
			if (!queued.length) nextFailures.delete(chatId);
			return reply(answer.status, answer.body);
		}
		const always = alwaysFailures.get(chatId);
		if (always) return reply(always.status, always.body);
		if (peer.delayMs > 0) await new Promise((r) => setTimeout(r, peer.delayMs));
		if (enforceLimits) {
			const flood = floodCheck(chatId, Date.now());
			if (flood) return reply(flood.status, flood.body);
		}
		const messageId = nextMessageId++;
		const threadId = params.message_thread_id === undefined || params.message_thread_id === null ? null : Number(params.message_thread_id);
		if (threadId !== null && !(Number.isInteger(threadId) && threadId > 0)) return reply(400, { ok: false, error_code: 400, description: 'Bad Request: message thread not found' });
		messages.push({ token, chat_id: chatId, message_thread_id: threadId, text, parse_mode: params.parse_mode, reply_markup: markup.value, message_id: messageId, at: Date.now() });
		return reply(200, {
			ok: true,
			result: {
				message_id: messageId,
				from: { id: 7000000001, is_bot: true, first_name: 'Loopback Bot', username: 'loopback_test_bot' },
				chat: { id: /^-?\d+$/.test(chatId) ? Number(chatId) : chatId, type: chatId.startsWith('-') ? 'supergroup' : 'private' },
				date: Math.floor(Date.now() / 1000),
				...(threadId !== null ? { message_thread_id: threadId, is_topic_message: true } : {}),
				text,
			},
		});
	}

	const peer = {
		messages,
		requests,
		answers,
		/** enforceLimits: how many sends were refused with 429, by which limit. */
		limited,
		delayMs,
		get baseUrl() {
			return baseUrl;
		},
		/** Starts on 127.0.0.1 (port 0 = random); resolves to the base URL. */
		start({ port = 0 } = {}) {
			if (server) return Promise.resolve(baseUrl);
			return new Promise((resolve, reject) => {
				const s = http.createServer((req, res) => {
					handle(req, res).catch((error) => send(res, 500, { ok: false, error_code: 500, description: `peer error: ${error.message}` }));
				});
				s.keepAliveTimeout = 1000;
				s.once('error', reject);
				s.listen(port, '127.0.0.1', () => {
					server = s;
					baseUrl = `http://127.0.0.1:${s.address().port}`;
					resolve(baseUrl);
				});
			});
		},
		stop() {
			if (!server) return Promise.resolve();
			const s = server;
			server = null;
			baseUrl = null;
			return new Promise((resolve) => {
				s.close(() => resolve());
				if (typeof s.closeAllConnections === 'function') s.closeAllConnections();
			});
		},
		/** Forget delivered messages, requests and scripted failures. */
		reset() {
			messages.length = 0;
			requests.length = 0;
			nextFailures.clear();
			alwaysFailures.clear();
			accepted.length = 0;
			lastByChat.clear();
			groupSends.clear();
			limited.overall = 0;
			limited.perChat = 0;
			limited.perGroup = 0;
		},
		/** The next sendMessage to chatId gets `answer` (calls queue up). */
		failNext(chatId, answer) {
			const key = String(chatId);
			if (!nextFailures.has(key)) nextFailures.set(key, []);
			nextFailures.get(key).push(normaliseAnswer(answer));
		},
		/** Every sendMessage to chatId gets `answer` (after any failNext answers). */
		failAlways(chatId, answer) {
			alwaysFailures.set(String(chatId), normaliseAnswer(answer));
		},
		/**
		 * Shorthand: failFor(chat, 'blocked' | 'chat_not_found' | 'server_error' | { code: 429, retryAfter, times }).
		 * With `times`, only that many requests fail; without, all of them.
		 */
		failFor(chatId, spec) {
			const times = spec && typeof spec === 'object' && spec.times !== undefined ? spec.times : undefined;
			if (times === undefined) return peer.failAlways(chatId, spec);
			for (let i = 0; i < times; i++) peer.failNext(chatId, spec);
		},
		clearFailures() {
			nextFailures.clear();
			alwaysFailures.clear();
		},
		/** Delivered messages to one chat ('-100123'), or to one forum topic of it ('-100123:45'). */
		messagesTo(chatId) {
			const [chat, topic] = String(chatId).split(':');
			return messages.filter((m) => m.chat_id === chat && (topic === undefined || m.message_thread_id === Number(topic)));
		},
	};
	return peer;
}

// The module is also one ready peer.
const defaultPeer = createTelegramPeer();

module.exports = {
	createTelegramPeer,
	answers,
	start: (options) => defaultPeer.start(options),
	stop: () => defaultPeer.stop(),
	reset: () => defaultPeer.reset(),
	failNext: (chatId, answer) => defaultPeer.failNext(chatId, answer),
	failAlways: (chatId, answer) => defaultPeer.failAlways(chatId, answer),
	failFor: (chatId, spec) => defaultPeer.failFor(chatId, spec),
	clearFailures: () => defaultPeer.clearFailures(),
	messagesTo: (chatId) => defaultPeer.messagesTo(chatId),
	messages: defaultPeer.messages,
	requests: defaultPeer.requests,
	get baseUrl() {
		return defaultPeer.baseUrl;
	},
};

if (require.main === module) {
	// Standalone: node test/support/telegram-peer.js [port]  — prints what the bot "sends".
	const peer = createTelegramPeer();
	peer.start({ port: Number(process.argv[2] || 0) }).then((url) => {
		console.log(`Telegram Bot API peer on ${url}  (set the Telegram credential's Base URL to it)`);
		let shown = 0;
		setInterval(() => {
			for (; shown < peer.messages.length; shown++) {
				const m = peer.messages[shown];
				console.log(`→ chat ${m.chat_id} (#${m.message_id}):\n${m.text}\n`);
			}
		}, 300);
	});
}
