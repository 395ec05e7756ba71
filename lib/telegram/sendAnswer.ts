import { notePace } from '../db/chatPace';
import { noteSlotAnswered } from '../db/sendPace';
import { markSentMany, recordUncertain, releaseForRetry, releaseUntried } from '../db/notifications';
import { isGroupChat } from './chatId';
import { sendMessage, type SendResult } from './client';
import type { Job } from './sendJobs';
import { failForGood, nextTurnIn, record, type Run } from './sendRun';

/**
 * What one Telegram answer means for the notifications its message carried: sent (recorded with
 * the chat's next turn), failed for good (403/400), a bot-wide stop (401/404), a 429 to wait out
 * or leave for later, or a 5xx / lost answer to retry with backoff (counted when it may have
 * arrived).
 */
export async function sendJob(run: Run, job: Job): Promise<void> {
	const { q, tg, pacer } = run;
	const r = await sendMessage(tg, job.chat, job.text, job.replyMarkup);
	const answeredAt = Date.now();
	pacer.answered(job.pace, job.startedAt ?? answeredAt, answeredAt);
	// the shared window counts it from now too (best effort: if this fails, from its start), beside
	// the result's record rather than before it: one round trip less on each message's way
	const noted = job.sharedSlot ? noteSlotAnswered(q, run.key, job.sharedSlot, answeredAt).catch(() => undefined) : undefined;
	try {
		await settle(run, job, r, answeredAt);
	} finally {
		await noted;
	}
}

/** What the answer `r` (at `answeredAt`) means for the job's notifications, written down. */
async function settle(run: Run, job: Job, r: SendResult, answeredAt: number): Promise<void> {
	const { q, o, pacer } = run;
	const digestOf = job.rows.length > 1 ? { digestOf: job.rows.length } : {};
	if (r.ok) {
		// a group's minute counts this message from its answer (pacer.answered)
		const countedMsAgo = isGroupChat(job.pace) ? Date.now() - answeredAt : null;
		let tries = 0;
		const recorded = await record(run, job, () => markSentMany(q, job.rows, r.messageId, { chat: job.pace, inMs: nextTurnIn(run, job.pace), countedMsAgo }, tries++ > 0));
		for (const n of job.rows) {
			const ok = recorded.has(n.id);
			run.finish([n], ok ? 'sent' : 'lost_claim', { telegramMessageId: r.messageId, error: ok ? null : 'sent, but another run had taken the claim over', ...digestOf });
		}
		return;
	}
	if (r.kind === 'fatal') {
		run.stop = run.stop ?? r.description;
		for (const n of job.rows) await record(run, job, () => releaseForRetry(q, n, r.description, 0, { refundAttempt: true }));
		run.finish(job.rows, 'retry_later', { error: r.description, ...digestOf });
		return;
	}
	if (r.kind === 'permanent') {
		await failForGood(run, job, () => r.description);
		return;
	}
	job.tries++;
	const now = Date.now();
	if (r.kind === 'rate_limited') {
		const until = now + r.retryAfterSeconds * 1000;
		pacer.holdChat(job.pace, until);
		if (r.retryAfterSeconds <= o.maxRetryAfterSeconds && until < run.deadline) {
			run.queue.push(job);
			return;
		}
		await record(run, job, () => notePace(q, [{ chat: job.pace, inMs: r.retryAfterSeconds * 1000 }]));
		for (const n of job.rows) await record(run, job, () => releaseForRetry(q, n, r.description, r.retryAfterSeconds, { refundAttempt: true }));
		run.finish(job.rows, 'retry_later', { error: r.description, ...digestOf });
		return;
	}
	// transient: 5xx or no answer
	const uncertain = r.maybeDelivered;
	const backoff = o.retryBaseMs * 2 ** (job.tries - 1);
	if (job.tries <= o.retriesPerRun && now + backoff < run.deadline) {
		if (uncertain) for (const n of job.rows) await record(run, job, () => recordUncertain(q, n));
		pacer.holdChat(job.pace, now + backoff);
		run.queue.push(job);
		return;
	}
	if (uncertain) await record(run, job, () => notePace(q, [{ chat: job.pace, inMs: nextTurnIn(run, job.pace) }]));
	const spent = job.rows.filter((n) => n.attempts >= o.maxAttempts);
	if (spent.length) await failForGood(run, { rows: spent, leaseEndsAt: job.leaseEndsAt }, (n) => `gave up after ${n.attempts} attempts: ${r.description}`, uncertain);
	for (const n of job.rows.filter((x) => x.attempts < o.maxAttempts)) {
		await record(run, job, () => releaseForRetry(q, n, r.description, Math.min(3600, 30 * 2 ** (n.attempts - 1)), { uncertain }));
		run.finish([n], 'retry_later', { error: r.description, ...digestOf });
	}
}

/** Gives back what was not sent: never tried (not an attempt) or waiting for a retry. */
export async function releaseLeft(run: Run, left: Job[], why: string): Promise<void> {
	const untried = left.filter((j) => j.tries === 0);
	if (untried.length) await record(run, untried[0], () => releaseUntried(run.q, untried.flatMap((j) => j.rows)));
	for (const j of left.filter((x) => x.tries > 0)) {
		for (const n of j.rows) await record(run, j, () => releaseForRetry(run.q, n, why, 1));
		run.finish(j.rows, 'retry_later', { error: why });
	}
}
