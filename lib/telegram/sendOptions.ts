import type { ChatLimits } from './pacer';

/** Options of one Send Pending run, with the bounds that keep a run from hanging or idling. */
export interface SendOptions {
	/** Notifications claimed per round trip. */
	batchSize: number;
	/** Most notifications one run handles. */
	maxMessages: number;
	/** A run starts no new send after this long; untried claims go back. */
	maxRunSeconds: number;
	messagesPerSecond: number;
	perChatIntervalMs: number;
	/** A group or supergroup (negative chat id) gets at most this many messages a minute. */
	groupMessagesPerMinute: number;
	/** Sends in flight at once (Telegram answers take ~100 ms from far away). */
	concurrency: number;
	/** Attempts over all runs before a notification is marked failed. */
	maxAttempts: number;
	/** Retries of a 5xx/network error inside one run, with doubling backoff. */
	retriesPerRun: number;
	retryBaseMs: number;
	/** A 429 asking to wait longer than this goes back to pending instead of waiting here. */
	maxRetryAfterSeconds: number;
	/** Extra lease time for recording results after the last answer (seconds). */
	leaseMarginSeconds: number;
}

export const DEFAULT_SEND_OPTIONS: SendOptions = {
	batchSize: 100,
	maxMessages: 1000,
	maxRunSeconds: 25,
	// not 30: 31 messages in a row then take at least 1,052 ms, room for the jitter between a
	// reserved slot and the request's arrival (a busy worker, the network)
	messagesPerSecond: 28.5,
	perChatIntervalMs: 1100,
	groupMessagesPerMinute: 20,
	// a window's burst (29 at the default pace) in flight at once
	concurrency: 30,
	maxAttempts: 5,
	retriesPerRun: 3,
	retryBaseMs: 500,
	maxRetryAfterSeconds: 30,
	leaseMarginSeconds: 60,
};

export const REQUEST_TIMEOUT_BOUNDS = { min: 1000, max: 120_000, default: 15_000 };

const BOUNDS: Record<keyof SendOptions, [number, number]> = {
	batchSize: [1, 1000],
	maxMessages: [1, 100_000],
	maxRunSeconds: [1, 3600],
	messagesPerSecond: [0.1, 1000],
	perChatIntervalMs: [0, 60_000],
	groupMessagesPerMinute: [1, 60],
	concurrency: [1, 100],
	maxAttempts: [1, 100],
	retriesPerRun: [0, 10],
	retryBaseMs: [1, 60_000],
	maxRetryAfterSeconds: [0, 3600],
	leaseMarginSeconds: [1, 3600],
};

/** Completes and checks options: a value out of bounds (0 concurrency would hang the run) is refused, naming the range. */
export function resolveSendOptions(options: Partial<Record<keyof SendOptions, unknown>>): SendOptions {
	const o = { ...DEFAULT_SEND_OPTIONS };
	for (const key of Object.keys(BOUNDS) as Array<keyof SendOptions>) {
		const raw = options[key];
		if (raw === undefined || raw === null || raw === '') continue;
		const n = Number(raw);
		const [min, max] = BOUNDS[key];
		if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${key} must be between ${min} and ${max}, got ${JSON.stringify(raw)}`);
		o[key] = n;
	}
	return o;
}

/**
 * The per-chat limits: every chat at least perChatIntervalMs apart; a group at most
 * groupMessagesPerMinute starts in any 61 s (a second more than Telegram's minute, against
 * network jitter, as the private chats' 1.1 s is against its one second).
 */
export const GROUP_WINDOW_MS = 61_000;

export function chatLimitsOf(o: Pick<SendOptions, 'groupMessagesPerMinute' | 'perChatIntervalMs'>): ChatLimits {
	return { perChatGapMs: o.perChatIntervalMs, groupPerWindow: o.groupMessagesPerMinute, groupWindowMs: GROUP_WINDOW_MS };
}

export function checkRequestTimeout(ms: unknown): number {
	const n = Number(ms ?? REQUEST_TIMEOUT_BOUNDS.default);
	if (!Number.isFinite(n) || n < REQUEST_TIMEOUT_BOUNDS.min || n > REQUEST_TIMEOUT_BOUNDS.max) {
		throw new Error(`requestTimeoutMs must be between ${REQUEST_TIMEOUT_BOUNDS.min} and ${REQUEST_TIMEOUT_BOUNDS.max}, got ${JSON.stringify(ms)}`);
	}
	return n;
}

/**
 * How long a run's claims stay reserved. A send may start until the run's deadline and then
 * wait up to the request timeout for Telegram's answer; only then is the result recorded. The
 * lease outlives all of that, so no other run can claim a message that is still in flight.
 */
export function leaseSecondsFor(o: SendOptions, requestTimeoutMs: number): number {
	return Math.ceil(o.maxRunSeconds + requestTimeoutMs / 1000 + o.leaseMarginSeconds);
}
