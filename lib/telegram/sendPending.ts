import { claimNotifications, type ClaimedNotification } from '../db/notifications';
import type { Queryable } from '../db/types';
import { COALESCIBLE_TYPES } from '../notify/types';
import { paceKey } from './chatId';
import type { TelegramConfig } from './client';
import { ensurePaceRow } from '../db/sendPace';
import { botKey, pacerFor, paceWindow } from './pacer';
import { releaseLeft, sendJob } from './sendAnswer';
import { buildJobs, type Job } from './sendJobs';
import { awaitSharedSlot, reserveSharedSlots } from './sharedSlot';
import { becomeActive, consumeWake } from './activeRuns';
import { chatLimitsOf, checkRequestTimeout, leaseSecondsFor, resolveSendOptions, type SendOptions } from './sendOptions';
import { failForGood, sleep, type Run, type SendOutcome } from './sendRun';

export { DEFAULT_SEND_OPTIONS, type SendOptions } from './sendOptions';
export type { SendOutcome, SendStatus } from './sendRun';

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

/** Ask for the next batch while this many messages are still queued. */
const LOW_WATER = 20;
/** With nothing ready for a while, look for other chats' messages at most this often. */
const TOP_UP_EVERY_MS = 1000;
/** ... and only when the next ready message is further away than this. */
const IDLE_BEFORE_TOP_UP_MS = 250;

/**
 * Claims pending notifications and sends them, paced to Telegram's limits: about 30 a second per
 * bot (send_pace), 1.1 s apart per chat and at most 20 in any minute per group (chat_pace), across
 * executions and queue-mode workers. Claims are fair across chats (see notificationClaims.ts) and
 * are topped up while the run would otherwise wait for a slow chat. Several staff alerts for one
 * chat go as one digest. Each result is written as soon as Telegram answers, guarded by the
 * claim token, retried through a database blip until the lease ends, and the lease outlives the
 * run's deadline plus the request timeout: a notification is sent once. The exceptions — an
 * answer lost in the network, a result that could not be written before the lease ended — may
 * deliver a message twice and are counted on the notification (uncertain_sends).
 * With nothing pending, the run returns at once.
 */
export async function sendPending(q: Queryable, tg: TelegramConfig, options: Partial<SendOptions> = {}): Promise<SendOutcome[]> {
	const o = resolveSendOptions(options);
	const requestTimeoutMs = checkRequestTimeout(tg.requestTimeoutMs);
	const key = botKey(tg.baseUrl, tg.token);
	const limits = chatLimitsOf(o);
	const outcomes: SendOutcome[] = [];
	const { run: active, end } = await becomeActive(q, key);
	const run: Run = {
		q,
		tg: { ...tg, requestTimeoutMs },
		o,
		claim: { chatGapMs: limits.perChatGapMs, groupPerWindow: limits.groupPerWindow, coalescible: COALESCIBLE_TYPES },
		pacer: pacerFor(key, o.messagesPerSecond, limits),
		key,
		leaseSeconds: leaseSecondsFor(o, requestTimeoutMs),
		deadline: Date.now() + o.maxRunSeconds * 1000,
		stop: null,
		queue: [],
		inflight: new Set(),
		claimedTotal: 0,
		lastClaimAt: 0,
		dry: false,
		claiming: null,
		failure: null,
		paceReady: false,
		active,
		wokeAt: 0,
		finish: (rows, status, extra) => {
			for (const n of rows) {
				outcomes.push({ notificationId: n.id, chatId: n.chat_id, status, telegramMessageId: null, attempts: n.attempts, error: null, ...extra });
			}
		},
	};
	try {
		await runLoop(run);
	} finally {
		end();
	}
	if (run.stop) throw new TelegramStopError(run.stop, outcomes);
	return outcomes;
}

/** Claims up to a batch more and queues what can be sent; returns how many rows were claimed. */
async function claimMore(run: Run): Promise<number> {
	const { q, o, pacer } = run;
	const at = Date.now();
	const wokeBefore = run.wokeAt;
	let claimed: ClaimedNotification[];
	try {
		// what this run can still send: a chat whose next turn comes before the deadline (at least 5 s ahead)
		const horizonSeconds = Math.min(60, Math.max(5, (run.deadline - at) / 1000));
		claimed = await claimNotifications(q, Math.min(o.batchSize, o.maxMessages - run.claimedTotal), run.leaseSeconds, { ...run.claim, horizonSeconds });
	} catch (err) {
		// The first claim's failure is the run's; a later one only ends the topping up (what is claimed still goes out).
		if (!run.claimedTotal) throw err;
		claimed = [];
	}
	run.lastClaimAt = Date.now();
	// dry: nothing to claim, unless new work was announced while this claim ran
	run.dry = claimed.length === 0 && run.wokeAt === wokeBefore;
	if (!claimed.length) return 0;
	if (!run.paceReady) {
		await ensurePaceRow(q, run.key);
		run.paceReady = true;
	}
	run.claimedTotal += claimed.length;
	const leaseEndsAt = at + run.leaseSeconds * 1000;
	const now = Date.now();
	const sendable: ClaimedNotification[] = [];
	for (const n of claimed) {
		if (!n.chat_id) {
			await failForGood(run, { rows: [n], leaseEndsAt }, () => 'no chat to send to (the mentor had no telegram_id when it was queued)');
		} else if (n.attempts > o.maxAttempts) {
			await failForGood(run, { rows: [n], leaseEndsAt }, () => `gave up after ${o.maxAttempts} attempts (a previous run stopped while sending)`);
		} else {
			sendable.push(n);
			// another process sent to this chat lately: its next turn (and a group's latest starts) are in chat_pace
			if (n.ready_in_ms > 0) pacer.holdChat(paceKey(n.chat_id), now + n.ready_in_ms);
			pacer.learnStarts(paceKey(n.chat_id), n.recent_ms_ago.map((ago) => now - ago));
		}
	}
	run.queue.push(...buildJobs(sendable, COALESCIBLE_TYPES, leaseEndsAt));
	return claimed.length;
}

function launch(run: Run, job: Job): void {
	const p: Promise<void> = sendJob(run, job)
		.catch(async (err) => {
			// The database stayed away until the lease ended: the claim comes back after it, and
			// that claim counts a possible second delivery.
			run.finish(job.rows, 'retry_later', { error: String((err as Error).message ?? err) });
		})
		.finally(() => {
			if (run.pacer.chatReadyAt(job.pace) === Infinity) run.pacer.answered(job.pace, job.startedAt ?? Date.now(), Date.now());
			run.inflight.delete(p);
			run.dry = false;
		});
	run.inflight.add(p);
}

/**
 * Claims in the background: the next batch is asked for while the last one is still going out
 * (below LOW_WATER queued), so a claim never leaves Telegram's pace idle.
 */
function startClaim(run: Run): void {
	run.claiming = claimMore(run)
		.then(
			() => undefined,
			(err) => {
				run.failure = err as Error;
			},
		)
		.finally(() => {
			run.claiming = null;
		});
}

async function runLoop(run: Run): Promise<void> {
	const { q, o, pacer, key, queue, inflight } = run;
	const claiming = () => (run.claiming ? [run.claiming] : []);
	for (;;) {
		if (run.failure) throw run.failure;
		const open = !run.stop && Date.now() < run.deadline;
		if (queue.length && !open) {
			await releaseLeft(run, queue.splice(0), run.stop ? 'the run stopped: ' + run.stop : 'run time limit reached while waiting to retry');
			continue;
		}
		// A run waiting for this one brought new work: claim again as soon as possible, not at the
		// next top-up (consumed at once, so the wake-up never resolves a wait twice).
		if (consumeWake(run.active)) {
			run.wokeAt = Date.now();
			run.dry = false;
			run.lastClaimAt = 0;
		}
		const canClaim = open && run.claimedTotal < o.maxMessages && !run.claiming;
		if (canClaim && !run.dry && queue.length <= LOW_WATER) startClaim(run);
		if (!queue.length) {
			if (run.claiming) {
				await Promise.race([...claiming(), ...inflight]);
				continue;
			}
			if (!inflight.size) break;
			// sends in flight hold their chats; when one finishes (or a while passes) look again
			await Promise.race([...inflight, sleep(TOP_UP_EVERY_MS), run.active.wakeSignal]);
			run.dry = false;
			continue;
		}
		if (inflight.size >= o.concurrency) {
			await Promise.race(inflight);
			continue;
		}
		const now = Date.now();
		const slot = pacer.nextGlobalSlot(now);
		if (slot === Infinity) {
			// the window waits for an answer still to come (see Pacer.nextGlobalSlot)
			await Promise.race([...inflight, sleep(inflight.size ? TOP_UP_EVERY_MS : 50), ...claiming(), run.active.wakeSignal]);
			continue;
		}
		const idx = queue.findIndex((j) => pacer.chatReadyAt(j.pace) <= slot);
		if (idx < 0) {
			const soonest = Math.min(...queue.map((j) => pacer.chatReadyAt(j.pace)));
			const topUpAt = run.lastClaimAt + TOP_UP_EVERY_MS;
			// Only slow chats are left (a group, a chat after a 429): rather than wait, take other chats' messages.
			const idle = soonest - now > IDLE_BEFORE_TOP_UP_MS;
			if (canClaim && idle && now >= topUpAt) startClaim(run);
			const wake = canClaim && idle ? Math.min(soonest, topUpAt) : soonest;
			await Promise.race([sleep(Math.min(wake, run.deadline) - now), ...inflight, ...claiming(), run.active.wakeSignal]);
			continue;
		}
		// A burst: every message the window and the chats let go now starts now, on one round trip
		// for their shared slots (one each, one after the other, put a busy event loop's turn between
		// two messages of a burst).
		const batch = [{ job: queue.splice(idx, 1)[0], slot }];
		pacer.take(batch[0].job.pace, slot);
		while (slot <= now && inflight.size + batch.length < o.concurrency) {
			const next = pacer.nextGlobalSlot(now);
			if (next > now) break;
			const j = queue.findIndex((x) => pacer.chatReadyAt(x.pace) <= now);
			if (j < 0) break;
			const [job] = queue.splice(j, 1);
			pacer.take(job.pace, next);
			batch.push({ job, slot: next });
		}
		const pace = paceWindow(o.messagesPerSecond);
		const reserved = await reserveSharedSlots(q, key, slot - now, batch.length, pace);
		for (let i = 0; i < batch.length; i++) {
			const { job, slot: planned } = batch[i];
			// Slots due now start together, with no turn of the event loop between them (a turn
			// under load is tens of ms: the late-slot rule would then give most of a burst's slots
			// up for ones a window later). A slot still to come is waited for as ever.
			const r = reserved[i];
			job.sharedSlot = r && r.dueAt <= Date.now() ? r.slot : await awaitSharedSlot(q, key, 0, pace, undefined, r);
			// The shared pace may have pushed this send past the deadline (or a fatal answer came):
			// it goes back instead (and the rest of the burst), so nothing starts after the time the
			// lease was sized for.
			if (run.stop || Date.now() >= run.deadline) {
				for (const b of batch.slice(i)) pacer.dropStart(b.slot);
				queue.unshift(...batch.slice(i).map((b) => b.job));
				break;
			}
			job.startedAt = Date.now();
			pacer.started(job.pace, planned, job.startedAt);
			pacer.sending(job.pace);
			launch(run, job);
		}
	}
}
