import type { ClaimedNotification } from './notificationClaims';
import { queryNamed } from './prepared';
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

export { claimNotifications, type ClaimedNotification, type ClaimOptions } from './notificationClaims';

/** Each update checks the claim token: a run whose lease expired cannot overwrite a newer claim. */
export async function markSent(q: Queryable, n: ClaimedNotification, telegramMessageId: string): Promise<boolean> {
	return (await markSentMany(q, [n], telegramMessageId)).has(n.id);
}

/**
 * Records rows sent with the message that carried them (one row, or the rows of a digest part)
 * and, in the same statement, the chat's next turn and (a group's) when this message counts in its minute.
 * A repeat after a lost answer finds the rows already recorded with this message id and counts
 * them too. Returns the ids recorded.
 */
export async function markSentMany(
	q: Queryable,
	rows: ClaimedNotification[],
	telegramMessageId: string,
	pace?: { chat: string; inMs: number; countedMsAgo?: number | null },
	/** A repeat (the last try's answer was lost): also count rows that try already recorded. */
	repeat = true,
): Promise<Set<string>> {
	// named: one per message sent, and planning it cost twice its execution (0.37 against 0.18 ms)
	const r = await queryNamed<{ id: string }>(
		q,
		'gcb_mark_sent_1',
		`WITH sent AS (
		   UPDATE notifications n SET status = 'sent', sent_at = NOW(), telegram_message_id = $2, locked_until = NULL, last_error = NULL
		     FROM unnest($1::bigint[], $3::uuid[]) AS k(id, token)
		    WHERE n.id = k.id AND n.claim_token = k.token AND n.status = 'sending'
		   RETURNING n.id
		 ), pace AS (
		   INSERT INTO chat_pace AS p (chat_id, next_at, recent)
		   SELECT $4::text, clock_timestamp() + make_interval(secs => $5::double precision / 1000),
		          CASE WHEN $6::double precision IS NULL THEN '{}'::timestamptz[]
		               ELSE ARRAY[clock_timestamp() - make_interval(secs => $6::double precision / 1000)] END
		    WHERE $4::text IS NOT NULL
		   ON CONFLICT (chat_id) DO UPDATE
		      SET next_at = GREATEST(p.next_at, EXCLUDED.next_at),
		          recent = CASE WHEN cardinality(EXCLUDED.recent) = 0 THEN p.recent
		                        ELSE ARRAY(SELECT t FROM unnest(p.recent || EXCLUDED.recent) AS r(t)
		                                    WHERE t > clock_timestamp() - interval '2 minutes' ORDER BY t DESC LIMIT 60) END
		 )
		 SELECT id::text AS id FROM sent
		 UNION
		 SELECT n.id::text FROM notifications n JOIN unnest($1::bigint[], $3::uuid[]) AS k(id, token) ON n.id = k.id AND n.claim_token = k.token
		  WHERE $7::boolean AND n.status = 'sent' AND n.telegram_message_id = $2`,
		[rows.map((x) => x.id), telegramMessageId, rows.map((x) => x.claim_token), pace?.chat ?? null, Math.max(0, pace?.inMs ?? 0), pace?.countedMsAgo ?? null, repeat],
	);
	return new Set(r.rows.map((x) => x.id));
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
