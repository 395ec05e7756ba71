import type { Queryable } from '../db/types';

export interface RetryFailedResult {
	/** Back to pending, addressed to the mentor's telegram_id valid now. */
	requeued: Array<{ id: string; mentorEmail: string | null; chatId: string }>;
	/** Left failed: the mentor has no row valid now, or no telegram_id yet. */
	skipped: Array<{ id: string; mentorEmail: string | null; reason: string }>;
}

/**
 * `getcourse-bot retry --failed [--mentor EMAIL]` and Maintenance → Retry Failed Sends (SPEC §11):
 * after staff fixed what Telegram refused (the mentor pressed Start, the telegram_id was
 * corrected), failed notifications go back to pending — the same row, so still one message per
 * event and type — addressed to the mentor's telegram_id valid now. A notification whose mentor
 * has no row valid now, or no telegram_id, stays failed and is reported. Staff-chat
 * notifications keep their chat (they are retried only when no mentor is named).
 */
export async function retryFailedSends(q: Queryable, { mentorEmail }: { mentorEmail?: string | null } = {}): Promise<RetryFailedResult> {
	const r = await q.query<{ id: string; mentor_email: string | null; staff: boolean; current_chat: string | null; has_current: boolean; chat_id: string | null; requeued: boolean }>(
		`WITH failed AS (
		   SELECT n.id, n.mentor_id, m0.email AS mentor_email, cur.id AS current_id, cur.telegram_id::text || COALESCE(':' || cur.telegram_topic_id::text, '') AS current_chat
		     FROM notifications n
		     LEFT JOIN mentors m0 ON m0.id = n.mentor_id
		     LEFT JOIN LATERAL (
		          SELECT x.id, x.telegram_id, x.telegram_topic_id FROM mentors x
		           WHERE lower(x.email) = lower(m0.email) AND x.valid_from <= NOW() AND NOW() < x.valid_to
		           ORDER BY x.valid_from DESC, x.id DESC LIMIT 1) cur ON TRUE
		    WHERE n.status = 'failed'
		      AND ($1::text IS NULL OR (n.mentor_id IS NOT NULL AND lower(m0.email) = $1::text))
		    ORDER BY n.id
		    FOR UPDATE OF n
		 ),
		 requeued AS (
		   UPDATE notifications n
		      SET status = 'pending', attempts = 0, next_attempt_at = NULL, locked_until = NULL, claim_token = NULL,
		          chat_id = CASE WHEN f.mentor_id IS NULL THEN n.chat_id ELSE f.current_chat END,
		          mentor_id = CASE WHEN f.mentor_id IS NULL THEN NULL ELSE f.current_id END,
		          failure_alerted_at = NULL, manual_retries = n.manual_retries + 1
		     FROM failed f
		    WHERE n.id = f.id AND (f.mentor_id IS NULL OR f.current_chat IS NOT NULL)
		   RETURNING n.id, n.chat_id
		 )
		 SELECT f.id::text AS id, f.mentor_email, f.mentor_id IS NULL AS staff, f.current_chat, f.current_id IS NOT NULL AS has_current,
		        r.chat_id, r.id IS NOT NULL AS requeued
		   FROM failed f LEFT JOIN requeued r ON r.id = f.id
		  ORDER BY f.id`,
		[mentorEmail ?? null],
	);
	const out: RetryFailedResult = { requeued: [], skipped: [] };
	for (const x of r.rows) {
		const email = x.mentor_email ? x.mentor_email.toLowerCase() : null;
		if (x.requeued) out.requeued.push({ id: x.id, mentorEmail: email, chatId: x.chat_id as string });
		else if (!x.has_current) out.skipped.push({ id: x.id, mentorEmail: email, reason: `mentor ${email ?? '(unknown)'} has no row valid now (left?): assign the student a new mentor` });
		else out.skipped.push({ id: x.id, mentorEmail: email, reason: `mentor ${email} has no telegram_id yet: set it first (a new version of the mentor's row)` });
	}
	return out;
}
