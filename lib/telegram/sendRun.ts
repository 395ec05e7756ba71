import type { ActiveRun } from './activeRuns';
import { markFailed, type ClaimedNotification } from '../db/notifications';
import type { ClaimOptions } from '../db/notificationClaims';
import type { Queryable } from '../db/types';
import type { TelegramConfig } from './client';
import type { Pacer } from './pacer';
import { untilLeaseEnds } from './recording';
import type { Job } from './sendJobs';
import type { SendOptions } from './sendOptions';

/** The state of one Send Pending run, and the helpers its parts share (sendPending.ts, sendAnswer.ts). */

export type SendStatus = 'sent' | 'failed' | 'retry_later' | 'lost_claim';

export interface SendOutcome {
	notificationId: string;
	chatId: string;
	status: SendStatus;
	telegramMessageId: string | null;
	attempts: number;
	error: string | null;
	/** Set when the notification went in a digest: how many notifications that message carried. */
	digestOf?: number;
}

export interface Run {
	q: Queryable;
	tg: TelegramConfig;
	o: SendOptions;
	claim: Partial<ClaimOptions>;
	pacer: Pacer;
	key: string;
	leaseSeconds: number;
	deadline: number;
	/** Set by a fatal answer: nothing more is sent or claimed. */
	stop: string | null;
	queue: Job[];
	inflight: Set<Promise<void>>;
	claimedTotal: number;
	lastClaimAt: number;
	/** The last claim found nothing, and nothing has finished since. */
	dry: boolean;
	/** A claim under way (claims run beside the sending). */
	claiming: Promise<void> | null;
	/** The first claim failed: the run's error. */
	failure: Error | null;
	paceReady: boolean;
	/** This process's active run for the bot (activeRuns.ts): woken by runs waiting for it. */
	active: ActiveRun;
	/** When it was last woken (new work announced): a claim that started before is not "dry". */
	wokeAt: number;
	finish: (rows: ClaimedNotification[], status: SendStatus, extra: Partial<SendOutcome>) => void;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** A write about a job's result, kept trying until its lease is about to end (recording.ts). */
export const record = <T>(run: Run, job: Pick<Job, 'leaseEndsAt'>, write: () => Promise<T>) => untilLeaseEnds(write, { leaseEndsAt: job.leaseEndsAt });

/** When the chat may get its next message, as milliseconds from now (for chat_pace). */
export const nextTurnIn = (run: Run, pace: string) => Math.max(0, run.pacer.chatReadyAt(pace) - Date.now());

/**
 * Notifications that will not go out (403 blocked, 400 chat not found, no chat, too many
 * attempts): marked failed with the reason. The one place a send fails for good.
 */
export async function failForGood(run: Run, job: Pick<Job, 'rows' | 'leaseEndsAt'>, reason: (n: ClaimedNotification) => string, uncertain = false): Promise<void> {
	for (const n of job.rows) {
		await record(run, job, () => markFailed(run.q, n, reason(n), uncertain));
		run.finish([n], 'failed', { error: reason(n) });
	}
}
