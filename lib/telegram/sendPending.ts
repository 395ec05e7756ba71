import {
	claimNotifications,
	markFailed,
	markSent,
	releaseForRetry,
	releaseUntried,
	type ClaimedNotification,
} from '../db/notifications';
import type { Queryable } from '../db/types';
import { sendMessage, type TelegramConfig } from './client';
import { ensurePaceRow, reserveSendSlot } from '../db/sendPace';
import { botKey, pacerFor, type Pacer } from './pacer';

export interface SendOptions {
	/** Notifications claimed per round trip. */
	batchSize: number;
	/** Most notifications one run handles. */
	maxMessages: number;
	/** A run stops taking new work after this long; untried claims go back. */
	maxRunSeconds: number;
	messagesPerSecond: number;
	perChatIntervalMs: number;
	/** Sends in flight at once (Telegram answers take ~100 ms from far away). */
	concurrency: number;
	/** Attempts over all runs before a notification is marked failed. */
	maxAttempts: number;
	/** Retries of a 5xx/network error inside one run, with doubling backoff. */
	retriesPerRun: number;
	retryBaseMs: number;
	/** A 429 asking to wait longer than this goes back to pending instead of waiting here. */
	maxRetryAfterSeconds: number;
}

export const DEFAULT_SEND_OPTIONS: SendOptions = {
	batchSize: 100,
	maxMessages: 1000,
	maxRunSeconds: 25,
	messagesPerSecond: 29,
	perChatIntervalMs: 1000,
	concurrency: 8,
	maxAttempts: 5,
	retriesPerRun: 3,
	retryBaseMs: 500,
	maxRetryAfterSeconds: 30,
};

export type SendStatus = 'sent' | 'failed' | 'retry_later' | 'lost_claim';

export interface SendOutcome {
	notificationId: string;
	chatId: string;
	status: SendStatus;
	telegramMessageId: string | null;
	attempts: number;
	error: string | null;
}

interface Job {
	n: ClaimedNotification;
	tries: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/**
 * Telegram has the message: recording it must not be lost to a dropped connection, or the
 * claim would expire and the message go out again. markSent is guarded by the claim token,
 * so repeating it is safe; each try takes a fresh pooled connection.
 */
async function recordSent(q: Queryable, n: ClaimedNotification, messageId: string): Promise<boolean> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await markSent(q, n, messageId);
		} catch (err) {
			if (attempt >= 5) throw err;
			await sleep(100 * 2 ** attempt);
		}
	}
}

/**
 * The overall rate is per bot, whatever runs it: queue-mode workers and parallel executions
 * reserve their slots in PostgreSQL. If that fails, the local pace still holds.
 */
async function sharedWait(q: Queryable, key: string, localWaitMs: number, gapMs: number): Promise<number> {
	try {
		return await reserveSendSlot(q, key, localWaitMs, gapMs);
	} catch {
		return Math.max(0, localWaitMs);
	}
}

/** Interleaves chats round-robin so consecutive messages rarely share a chat. */
function interleave(items: ClaimedNotification[]): ClaimedNotification[] {
	const byChat = new Map<string, ClaimedNotification[]>();
	for (const n of items) {
		const list = byChat.get(n.chat_id) ?? [];
		list.push(n);
		byChat.set(n.chat_id, list);
	}
	const out: ClaimedNotification[] = [];
	const lists = [...byChat.values()];
	for (let round = 0; out.length < items.length; round++) {
		for (const l of lists) if (round < l.length) out.push(l[round]);
	}
	return out;
}

/**
 * Claims pending notifications and sends them, paced to Telegram's limits. Each result is
 * written as soon as Telegram answers, guarded by the claim token, so a notification is
 * never recorded (or sent by a later run) twice.
 */
export async function sendPending(q: Queryable, tg: TelegramConfig, options: Partial<SendOptions> = {}): Promise<SendOutcome[]> {
	const o = { ...DEFAULT_SEND_OPTIONS, ...options };
	const started = Date.now();
	const deadline = started + o.maxRunSeconds * 1000;
	const key = botKey(tg.baseUrl, tg.token);
	const pacer = pacerFor(key, o.messagesPerSecond, o.perChatIntervalMs);
	await ensurePaceRow(q, key);
	const outcomes: SendOutcome[] = [];
	// The lease covers the time to send a whole batch, with margin.
	const leaseSeconds = Math.ceil(o.maxRunSeconds + o.batchSize / o.messagesPerSecond + 60);
	let claimedTotal = 0;

	const finish = (n: ClaimedNotification, status: SendStatus, extra: Partial<SendOutcome>) =>
		outcomes.push({ notificationId: n.id, chatId: n.chat_id, status, telegramMessageId: null, attempts: n.attempts, error: null, ...extra });

	while (claimedTotal < o.maxMessages && Date.now() < deadline) {
		const claimed = await claimNotifications(q, Math.min(o.batchSize, o.maxMessages - claimedTotal), leaseSeconds);
		if (!claimed.length) break;
		claimedTotal += claimed.length;
		const queue: Job[] = [];
		for (const n of interleave(claimed)) {
			if (n.attempts > o.maxAttempts) {
				const reason = `gave up after ${o.maxAttempts} attempts (a previous run stopped while sending)`;
				await markFailed(q, n, reason);
				finish(n, 'failed', { error: reason });
			} else queue.push({ n, tries: 0 });
		}
		await runQueue(q, tg, o, pacer, key, queue, deadline, finish);
	}
	return outcomes;
}

async function runQueue(
	q: Queryable,
	tg: TelegramConfig,
	o: SendOptions,
	pacer: Pacer,
	key: string,
	queue: Job[],
	deadline: number,
	finish: (n: ClaimedNotification, status: SendStatus, extra: Partial<SendOutcome>) => void,
): Promise<void> {
	const inflight = new Set<Promise<void>>();

	const handle = async (job: Job) => {
		const { n } = job;
		const r = await sendMessage(tg, n.chat_id, n.message);
		if (r.ok) {
			const recorded = await recordSent(q, n, r.messageId);
			finish(n, recorded ? 'sent' : 'lost_claim', {
				telegramMessageId: r.messageId,
				error: recorded ? null : 'sent, but another run had taken the claim over (lease too short)',
			});
			return;
		}
		if (r.kind === 'permanent') {
			await markFailed(q, n, r.description);
			finish(n, 'failed', { error: r.description });
			return;
		}
		job.tries++;
		const now = Date.now();
		if (r.kind === 'rate_limited') {
			const until = now + r.retryAfterSeconds * 1000;
			pacer.holdChat(n.chat_id, until);
			if (r.retryAfterSeconds <= o.maxRetryAfterSeconds && until < deadline) {
				queue.push(job);
				return;
			}
			await releaseForRetry(q, n, r.description, r.retryAfterSeconds, true);
			finish(n, 'retry_later', { error: r.description });
			return;
		}
		// transient: 5xx or network
		const backoff = o.retryBaseMs * 2 ** (job.tries - 1);
		if (job.tries <= o.retriesPerRun && now + backoff < deadline) {
			pacer.holdChat(n.chat_id, now + backoff);
			queue.push(job);
			return;
		}
		if (n.attempts >= o.maxAttempts) {
			const reason = `gave up after ${n.attempts} attempts: ${r.description}`;
			await markFailed(q, n, reason);
			finish(n, 'failed', { error: reason });
			return;
		}
		await releaseForRetry(q, n, r.description, Math.min(3600, 30 * 2 ** (n.attempts - 1)));
		finish(n, 'retry_later', { error: r.description });
	};

	const launch = (job: Job) => {
		const p: Promise<void> = handle(job)
			.catch(async (err) => {
				// A database error while recording: the claim stays and comes back after the lease.
				finish(job.n, 'retry_later', { error: String((err as Error).message ?? err) });
			})
			.finally(() => inflight.delete(p));
		inflight.add(p);
	};

	while (queue.length || inflight.size) {
		if (Date.now() >= deadline && queue.length) {
			const left = queue.splice(0);
			await releaseUntried(q, left.filter((j) => j.tries === 0).map((j) => j.n));
			for (const j of left.filter((x) => x.tries > 0)) {
				await releaseForRetry(q, j.n, 'run time limit reached while waiting to retry', 1);
				finish(j.n, 'retry_later', { error: 'run time limit reached while waiting to retry' });
			}
			continue;
		}
		if (!queue.length || inflight.size >= o.concurrency) {
			await Promise.race(inflight);
			continue;
		}
		const now = Date.now();
		const slot = pacer.nextGlobalSlot(now);
		const idx = queue.findIndex((j) => pacer.chatReadyAt(j.n.chat_id) <= slot);
		if (idx < 0) {
			const soonest = Math.min(...queue.map((j) => pacer.chatReadyAt(j.n.chat_id)));
			await Promise.race([sleep(Math.min(soonest, deadline) - now), ...inflight]);
			continue;
		}
		const [job] = queue.splice(idx, 1);
		pacer.take(job.n.chat_id, slot);
		await sleep(await sharedWait(q, key, slot - now, 1000 / o.messagesPerSecond));
		pacer.started(slot, Date.now());
		launch(job);
	}
}
