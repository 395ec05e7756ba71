import { randomUUID } from 'node:crypto';
import type { Queryable } from './types';

export interface NewNotification {
	/** null for a message about no single event (a review digest or report). */
	eventId: string | null;
	/** The student's email, filled into an event stored without one (Tech API). */
	studentEmail?: string | null;
	mentorId: string | null;
	chatId: string;
	type: string;
	message: string;
	messageHash: string;
	/** sendMessage's reply_markup (an inline keyboard: the «Открыть урок» button), or none. */
	replyMarkup?: object | null;
}

export interface CreatedNotification {
	messageHash: string;
	id: string;
	created: boolean;
}

/**
 * Inserts at most one notification per message_hash and marks the events processed, in one
 * transaction (the caller's client must be inside BEGIN … COMMIT).
 */
export async function insertNotifications(q: Queryable, rows: NewNotification[]): Promise<Map<string, CreatedNotification>> {
	const out = new Map<string, CreatedNotification>();
	if (!rows.length) return out;
	const res = await q.query<{ message_hash: string; id: string; created: boolean }>(
		`WITH input AS (
		   SELECT DISTINCT ON (message_hash) *
		     FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[]) WITH ORDINALITY
		       AS t(webhook_event_id, mentor_id, chat_id, type, message, message_hash, reply_markup, ord)
		    ORDER BY message_hash, ord
		 ),
		 ins AS (
		   INSERT INTO notifications (webhook_event_id, mentor_id, chat_id, type, message, message_hash, status, reply_markup)
		   SELECT webhook_event_id, mentor_id, chat_id, type, message, message_hash, 'pending', reply_markup FROM input ORDER BY ord
		   ON CONFLICT (message_hash) DO NOTHING
		   RETURNING id, message_hash
		 )
		 SELECT i.message_hash, COALESCE(ins.id, n.id)::text AS id, ins.id IS NOT NULL AS created
		   FROM input i
		   LEFT JOIN ins ON ins.message_hash = i.message_hash
		   LEFT JOIN notifications n ON n.message_hash = i.message_hash AND ins.id IS NULL`,
		[
			rows.map((r) => r.eventId),
			rows.map((r) => r.mentorId),
			rows.map((r) => r.chatId),
			rows.map((r) => r.type),
			rows.map((r) => r.message),
			rows.map((r) => r.messageHash),
			rows.map((r) => (r.replyMarkup ? JSON.stringify(r.replyMarkup) : null)),
		],
	);
	for (const r of res.rows) out.set(r.message_hash, { messageHash: r.message_hash, id: r.id, created: r.created });
	return out;
}

/**
 * Marks the events processed; a Tech API event (stored without an email) gets its student's
 * email here, in the same statement.
 */
export async function markEventsProcessed(q: Queryable, events: Array<{ id: string; studentEmail: string | null }>): Promise<void> {
	if (!events.length) return;
	await q.query(
		`UPDATE webhook_events w
		    SET processed = TRUE, processed_at = NOW(), locked_until = NULL, error_message = NULL,
		        user_email = CASE WHEN w.user_email = '' AND i.email IS NOT NULL THEN lower(i.email) ELSE w.user_email END
		   FROM unnest($1::bigint[], $2::text[]) AS i(id, email)
		  WHERE w.id = i.id`,
		[events.map((e) => e.id), events.map((e) => e.studentEmail)],
	);
}

export interface ClaimedNotification {
	id: string;
	chat_id: string;
	message: string;
	/** The inline keyboard to send with it, or null. */
	reply_markup: object | null;
	attempts: number;
	claim_token: string;
}

/** Claims sendable notifications: pending and due, or `sending` whose lease ran out (crashed run). */
export async function claimNotifications(q: Queryable, limit: number, leaseSeconds: number): Promise<ClaimedNotification[]> {
	const token = randomUUID();
	const res = await q.query<ClaimedNotification>(
		`UPDATE notifications n
		    SET status = 'sending', claim_token = $3::uuid, attempts = n.attempts + 1,
		        locked_until = NOW() + make_interval(secs => $2::int)
		  WHERE n.id IN (
		        SELECT id FROM notifications
		         WHERE ((status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= NOW()))
		            OR (status = 'sending' AND locked_until < NOW()))
		         ORDER BY id
		         LIMIT $1::int
		         FOR UPDATE SKIP LOCKED)
		  RETURNING n.id::text AS id, n.chat_id, n.message, n.reply_markup, n.attempts, n.claim_token::text AS claim_token`,
		[limit, leaseSeconds, token],
	);
	return res.rows.sort((a, b) => Number(a.id) - Number(b.id));
}

/** Each update checks the claim token: a run whose lease expired cannot overwrite a newer claim. */
export async function markSent(q: Queryable, n: ClaimedNotification, telegramMessageId: string): Promise<boolean> {
	const r = await q.query(
		`UPDATE notifications SET status = 'sent', sent_at = NOW(), telegram_message_id = $2, locked_until = NULL, last_error = NULL
		  WHERE id = $1 AND claim_token = $3::uuid AND status = 'sending'`,
		[n.id, telegramMessageId, n.claim_token],
	);
	return (r.rowCount ?? 0) > 0;
}

export async function markFailed(q: Queryable, n: ClaimedNotification, reason: string, uncertain = false): Promise<void> {
	await q.query(
		`UPDATE notifications SET status = 'failed', last_error = $2, locked_until = NULL,
		        uncertain_sends = uncertain_sends + CASE WHEN $4::boolean THEN 1 ELSE 0 END,
		        last_uncertain_at = CASE WHEN $4::boolean THEN NOW() ELSE last_uncertain_at END
		  WHERE id = $1 AND claim_token = $3::uuid AND status = 'sending'`,
		[n.id, reason, n.claim_token, uncertain],
	);
}

/**
 * Back to pending, to be tried again no earlier than the given delay. A rate limit (429) or a
 * run stopped by a bot-wide fault is not a failed attempt: `refundAttempt` keeps it off Max
 * Attempts. `uncertain`: the request may have reached Telegram (the answer was lost).
 */
export async function releaseForRetry(
	q: Queryable,
	n: ClaimedNotification,
	reason: string,
	delaySeconds: number,
	{ refundAttempt = false, uncertain = false }: { refundAttempt?: boolean; uncertain?: boolean } = {},
): Promise<void> {
	await q.query(
		`UPDATE notifications SET status = 'pending', last_error = $2, locked_until = NULL,
		        next_attempt_at = NOW() + make_interval(secs => $4::double precision),
		        attempts = CASE WHEN $5::boolean THEN GREATEST(attempts - 1, 0) ELSE attempts END,
		        uncertain_sends = uncertain_sends + CASE WHEN $6::boolean THEN 1 ELSE 0 END,
		        last_uncertain_at = CASE WHEN $6::boolean THEN NOW() ELSE last_uncertain_at END
		  WHERE id = $1 AND claim_token = $3::uuid AND status = 'sending'`,
		[n.id, reason, n.claim_token, delaySeconds, refundAttempt, uncertain],
	);
}

/** A send that will be retried within this run may have reached Telegram: count it now. */
export async function recordUncertain(q: Queryable, n: ClaimedNotification): Promise<void> {
	await q.query(
		`UPDATE notifications SET uncertain_sends = uncertain_sends + 1, last_uncertain_at = NOW()
		  WHERE id = $1 AND claim_token = $2::uuid AND status = 'sending'`,
		[n.id, n.claim_token],
	);
}

/** Gives back claims that were never tried (time limit, or the run stopped): not an attempt. */
export async function releaseUntried(q: Queryable, items: ClaimedNotification[]): Promise<void> {
	if (!items.length) return;
	await q.query(
		`UPDATE notifications SET status = 'pending', locked_until = NULL, attempts = GREATEST(attempts - 1, 0)
		  WHERE id = ANY($1::bigint[]) AND claim_token = ANY($2::uuid[]) AND status = 'sending'`,
		[items.map((i) => i.id), items.map((i) => i.claim_token)],
	);
}
