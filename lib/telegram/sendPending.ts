import {
	claimNotifications,
	markFailed,
	markSent,
	recordUncertain,
	releaseForRetry,
	releaseUntried,
	type ClaimedNotification,
} from '../db/notifications';
import type { Queryable } from '../db/types';
import { sendMessage, type TelegramConfig } from './client';
import { ensurePaceRow } from '../db/sendPace';
import { botKey, pacerFor, type Pacer } from './pacer';
import { awaitSharedSlot } from './sharedSlot';
import { checkRequestTimeout, leaseSecondsFor, resolveSendOptions, type SendOptions } from './sendOptions';

export { DEFAULT_SEND_OPTIONS, type SendOptions } from './sendOptions';

export type SendStatus = 'sent' | 'failed' | 'retry_later' | 'lost_claim';

export interface SendOutcome {
	notificationId: string;
	chatId: string;
	status: SendStatus;
	telegramMessageId: string | null;
	attempts: number;
	error: string | null;
}

/** The bot itself is unusable (token revoked, wrong base URL): the run stopped, the queue is kept. */
export class TelegramStopError extends Error {
	constructor(
		message: string,
		readonly outcomes: SendOutcome[],
	) {
		super(message);
		this.name = 'TelegramStopError';
	}
}

interface Job {
	n: ClaimedNotification;
	tries: number;
}

interface Run {
	q: Queryable;
	tg: TelegramConfig;
	o: SendOptions;
	pacer: Pacer;
	key: string;
	deadline: number;
	/** Set by a fatal answer: nothing more is sent or claimed. */
	stop: string | null;
	finish: (n: ClaimedNotification, status: SendStatus, extra: Partial<SendOutcome>) => void;
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
 * written as soon as Telegram answers, guarded by the claim token, and the claim's lease
 * outlives the run's deadline plus the request timeout: a notification is sent once. The one
 * exception is an answer lost in the network (timeout, reset): the message may have arrived,
 * and sending it again may deliver it twice; such sends are counted on the notification.
 * With nothing pending, the run returns at once.
 */
export async function sendPending(q: Queryable, tg: TelegramConfig, options: Partial<SendOptions> = {}): Promise<SendOutcome[]> {
	const o = resolveSendOptions(options);
	const requestTimeoutMs = checkRequestTimeout(tg.requestTimeoutMs);
	const deadline = Date.now() + o.maxRunSeconds * 1000;
	const key = botKey(tg.baseUrl, tg.token);
	const leaseSeconds = leaseSecondsFor(o, requestTimeoutMs);
	const outcomes: SendOutcome[] = [];
	const run: Run = {
		q,
		tg: { ...tg, requestTimeoutMs },
		o,
		pacer: pacerFor(key, o.messagesPerSecond, o.perChatIntervalMs),
		key,
		deadline,
		stop: null,
		finish: (n, status, extra) =>
			outcomes.push({ notificationId: n.id, chatId: n.chat_id, status, telegramMessageId: null, attempts: n.attempts, error: null, ...extra }),
	};
	let claimedTotal = 0;
	let paceReady = false;
	while (!run.stop && claimedTotal < o.maxMessages && Date.now() < deadline) {
		const claimed = await claimNotifications(q, Math.min(o.batchSize, o.maxMessages - claimedTotal), leaseSeconds);
		if (!claimed.length) break;
		if (!paceReady) {
			await ensurePaceRow(q, key);
			paceReady = true;
		}
		claimedTotal += claimed.length;
		const queue: Job[] = [];
		for (const n of interleave(claimed)) {
			if (!n.chat_id) {
				const reason = 'no chat to send to (the mentor had no telegram_id when it was queued)';
				await markFailed(q, n, reason);
				run.finish(n, 'failed', { error: reason });
			} else if (n.attempts > o.maxAttempts) {
				const reason = `gave up after ${o.maxAttempts} attempts (a previous run stopped while sending)`;
				await markFailed(q, n, reason);
				run.finish(n, 'failed', { error: reason });
			} else queue.push({ n, tries: 0 });
		}
		await runQueue(run, queue);
	}
	if (run.stop) throw new TelegramStopError(run.stop, outcomes);
	return outcomes;
}

async function handle(run: Run, queue: Job[], job: Job): Promise<void> {
	const { q, tg, o, pacer } = run;
	const { n } = job;
	const r = await sendMessage(tg, n.chat_id, n.message, n.reply_markup);
	if (r.ok) {
		const recorded = await recordSent(q, n, r.messageId);
		run.finish(n, recorded ? 'sent' : 'lost_claim', {
			telegramMessageId: r.messageId,
			error: recorded ? null : 'sent, but another run had taken the claim over',
		});
		return;
	}
	if (r.kind === 'fatal') {
		run.stop = run.stop ?? r.description;
		await releaseForRetry(q, n, r.description, 0, { refundAttempt: true });
		run.finish(n, 'retry_later', { error: r.description });
		return;
	}
	if (r.kind === 'permanent') {
		await markFailed(q, n, r.description);
		run.finish(n, 'failed', { error: r.description });
		return;
	}
	job.tries++;
	const now = Date.now();
	if (r.kind === 'rate_limited') {
		const until = now + r.retryAfterSeconds * 1000;
		pacer.holdChat(n.chat_id, until);
		if (r.retryAfterSeconds <= o.maxRetryAfterSeconds && until < run.deadline) {
			queue.push(job);
			return;
		}
		await releaseForRetry(q, n, r.description, r.retryAfterSeconds, { refundAttempt: true });
		run.finish(n, 'retry_later', { error: r.description });
		return;
	}
	// transient: 5xx or no answer
	const uncertain = r.maybeDelivered;
	const backoff = o.retryBaseMs * 2 ** (job.tries - 1);
	if (job.tries <= o.retriesPerRun && now + backoff < run.deadline) {
		if (uncertain) await recordUncertain(q, n);
		pacer.holdChat(n.chat_id, now + backoff);
		queue.push(job);
		return;
	}
	if (n.attempts >= o.maxAttempts) {
		const reason = `gave up after ${n.attempts} attempts: ${r.description}`;
		await markFailed(q, n, reason, uncertain);
		run.finish(n, 'failed', { error: reason });
		return;
	}
	await releaseForRetry(q, n, r.description, Math.min(3600, 30 * 2 ** (n.attempts - 1)), { uncertain });
	run.finish(n, 'retry_later', { error: r.description });
}

/** Gives back what this batch did not send: never tried (not an attempt) or waiting for a retry. */
async function releaseLeft(run: Run, left: Job[], why: string): Promise<void> {
	await releaseUntried(run.q, left.filter((j) => j.tries === 0).map((j) => j.n));
	for (const j of left.filter((x) => x.tries > 0)) {
		await releaseForRetry(run.q, j.n, why, 1);
		run.finish(j.n, 'retry_later', { error: why });
	}
}

async function runQueue(run: Run, queue: Job[]): Promise<void> {
	const { q, o, pacer, key } = run;
	const inflight = new Set<Promise<void>>();
	const launch = (job: Job) => {
		const p: Promise<void> = handle(run, queue, job)
			.catch(async (err) => {
				// A database error while recording: the claim stays and comes back after the lease.
				run.finish(job.n, 'retry_later', { error: String((err as Error).message ?? err) });
			})
			.finally(() => inflight.delete(p));
		inflight.add(p);
	};

	while (queue.length || inflight.size) {
		if (queue.length && (run.stop || Date.now() >= run.deadline)) {
			await releaseLeft(run, queue.splice(0), run.stop ? 'the run stopped: ' + run.stop : 'run time limit reached while waiting to retry');
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
			await Promise.race([sleep(Math.min(soonest, run.deadline) - now), ...inflight]);
			continue;
		}
		const [job] = queue.splice(idx, 1);
		pacer.take(job.n.chat_id, slot);
		await awaitSharedSlot(q, key, slot - now, 1000 / o.messagesPerSecond);
		// The shared pace may have pushed this send past the deadline (or a fatal answer came):
		// it goes back instead, so nothing starts after the time the lease was sized for.
		if (run.stop || Date.now() >= run.deadline) {
			queue.unshift(job);
			continue;
		}
		pacer.started(job.n.chat_id, slot, Date.now());
		launch(job);
	}
}
