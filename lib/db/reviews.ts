import type { Queryable } from './types';

/**
 * SQL of the review clock (lib/review). Reviews are opened and closed by the database itself
 * (migration 006's triggers); here the clock gives them deadlines and queues the reminders and
 * escalations, a batch per statement, each an index scan of a partial index (bench/review-clock.js).
 */

export interface UnscheduledReview {
	id: string;
	opened_at: Date;
	training_id: string | null;
	/** trainings.review_hours of the row valid now, as text (numeric), or null. */
	training_hours: string | null;
}

/** Reviews the clock has not given a deadline yet (new ones, or opened while it was off). */
export async function unscheduledReviews(q: Queryable, limit: number): Promise<UnscheduledReview[]> {
	const r = await q.query<UnscheduledReview>(
		`SELECT r.id::text AS id, r.opened_at, r.training_id, t.review_hours::text AS training_hours
		   FROM reviews r
		   LEFT JOIN LATERAL (SELECT t.review_hours FROM trainings t
		                       WHERE t.training_id = r.training_id AND t.valid_from <= NOW() AND NOW() < t.valid_to
		                       ORDER BY t.valid_from DESC LIMIT 1) t ON TRUE
		  WHERE r.deadline_at IS NULL
		  ORDER BY r.id
		  LIMIT $1::int`,
		[limit],
	);
	return r.rows;
}

export async function setDeadlines(q: Queryable, rows: Array<{ id: string; deadline: Date; escalate: Date; hours: number }>): Promise<number> {
	if (!rows.length) return 0;
	const r = await q.query(
		`UPDATE reviews r SET deadline_at = v.deadline, escalate_at = v.escalate, review_hours = v.hours
		   FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[], $4::numeric[]) AS v(id, deadline, escalate, hours)
		  WHERE r.id = v.id AND r.deadline_at IS NULL`,
		[rows.map((x) => x.id), rows.map((x) => x.deadline), rows.map((x) => x.escalate), rows.map((x) => x.hours)],
	);
	return r.rowCount ?? 0;
}

export type NoticeKind = 'reminder' | 'escalation';

/** What a review row tells about the answer and who should check it (read with the reviews). */
interface ReviewFacts {
	id: string;
	answer_id: string;
	is_resubmission: boolean;
	mentor_name: string | null;
	/** The mentor's row valid now (same email): the reminder goes to its telegram_id, else to the first message's chat. */
	current_mentor_id: string | null;
	chat_id: string | null;
	student_user_id: string | null;
	student_email: string | null;
	student_name: string | null;
	training_id: string | null;
	training_name: string | null;
	lesson_id: string | null;
	lesson_name: string | null;
	opened_at: Date;
	now: Date;
}

export interface DueReview extends ReviewFacts {
	event_id: string;
	mentor_email: string | null;
	current_mentor_name: string | null;
	deadline_at: Date;
	escalate_at: Date;
	reminded_at: Date | null;
}

const DUE = {
	reminder: { at: 'deadline_at', done: 'reminded_at', notification: 'reminder_notification_id' },
	escalation: { at: 'escalate_at', done: 'escalated_at', notification: 'escalation_notification_id' },
} as const;

/**
 * Open reviews whose reminder (or escalation) is due and not queued yet, oldest first; those
 * due longer ago than `catchUpHours` are left alone (the clock was off). An index range scan of
 * idx_reviews_remind / idx_reviews_escalate.
 */
export async function dueReviews(q: Queryable, kind: NoticeKind, catchUpHours: number, limit: number): Promise<DueReview[]> {
	const d = DUE[kind];
	const r = await q.query<DueReview>(
		`SELECT r.id::text AS id, r.event_id::text AS event_id, r.answer_id, r.is_resubmission, r.mentor_email, r.mentor_name,
		        m.id::text AS current_mentor_id, NULLIF(trim(concat_ws(' ', m.first_name, m.last_name)), '') AS current_mentor_name,
		        COALESCE(m.telegram_id::text || COALESCE(':' || m.telegram_topic_id::text, ''), r.chat_id) AS chat_id,
		        r.student_user_id, r.student_email, r.student_name, r.training_id, r.training_name, r.lesson_id, r.lesson_name,
		        r.opened_at, r.deadline_at, r.escalate_at, r.reminded_at, NOW() AS now
		   FROM reviews r
		   LEFT JOIN LATERAL (SELECT m.id, m.first_name, m.last_name, m.telegram_id, m.telegram_topic_id FROM mentors m
		                       WHERE lower(m.email) = r.mentor_email AND m.valid_from <= NOW() AND NOW() < m.valid_to
		                       ORDER BY m.valid_from DESC, m.id DESC LIMIT 1) m ON TRUE
		  WHERE r.closed_at IS NULL AND r.${d.done} IS NULL AND r.${d.at} IS NOT NULL
		    AND r.${d.at} <= NOW() AND r.${d.at} > NOW() - make_interval(secs => $1::double precision * 3600)
		  ORDER BY r.${d.at}, r.id
		  LIMIT $2::int`,
		[catchUpHours, limit],
	);
	return r.rows;
}

export interface ReviewNotice {
	reviewId: string;
	eventId: string;
	mentorId: string | null;
	/** null: nobody to send it to (marked done all the same, so it is not looked at again). */
	chatId: string | null;
	message: string;
	messageHash: string;
	replyMarkup: object | null;
}

/**
 * Queues the notices of a batch in one statement: each review still open and not yet reminded
 * (escalated) is locked, marked, and gets its notification (one per review and type: the
 * message_hash). A review closed or handled by another run meanwhile is skipped, so a reminder
 * is never queued twice nor for an answer just checked.
 */
export async function queueReviewNotices(q: Queryable, kind: NoticeKind, type: string, rows: ReviewNotice[]): Promise<{ queued: number; created: number }> {
	if (!rows.length) return { queued: 0, created: 0 };
	const d = DUE[kind];
	const r = await q.query<{ queued: string; created: string }>(
		`WITH input AS (
		   SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
		     AS t(review_id, event_id, mentor_id, chat_id, message, message_hash, reply_markup)
		 ),
		 locked AS (
		   SELECT r.id FROM reviews r JOIN input i ON i.review_id = r.id
		    WHERE r.closed_at IS NULL AND r.${d.done} IS NULL
		    ORDER BY r.id
		    FOR UPDATE OF r SKIP LOCKED
		 ),
		 ins AS (
		   INSERT INTO notifications (webhook_event_id, mentor_id, chat_id, type, message, message_hash, status, reply_markup)
		   SELECT i.event_id, i.mentor_id, i.chat_id, $8, i.message, i.message_hash, 'pending', i.reply_markup
		     FROM input i JOIN locked l ON l.id = i.review_id
		    WHERE i.chat_id IS NOT NULL
		    ORDER BY i.review_id
		   ON CONFLICT (message_hash) DO NOTHING
		   RETURNING id, message_hash
		 ),
		 marked AS (
		   UPDATE reviews r SET ${d.done} = NOW(), ${d.notification} = ins.id
		     FROM input i LEFT JOIN ins ON ins.message_hash = i.message_hash
		    WHERE r.id = i.review_id AND r.id IN (SELECT id FROM locked)
		   RETURNING r.id
		 )
		 SELECT (SELECT count(*) FROM marked) AS queued, (SELECT count(*) FROM ins) AS created`,
		[
			rows.map((x) => x.reviewId),
			rows.map((x) => x.eventId),
			rows.map((x) => x.mentorId),
			rows.map((x) => x.chatId),
			rows.map((x) => x.message),
			rows.map((x) => x.messageHash),
			rows.map((x) => (x.replyMarkup ? JSON.stringify(x.replyMarkup) : null)),
			type,
		],
	);
	return { queued: Number(r.rows[0].queued), created: Number(r.rows[0].created) };
}

export interface OpenReviewRow extends ReviewFacts {
	mentor_email: string;
	deadline_at: Date | null;
	/** Open reviews of this mentor in all (the list stops at `perMentor`). */
	total: string;
}

/** Every mentor's open reviews, oldest first, at most `perMentor` each (with the mentor's total). */
export async function openReviewsByMentor(q: Queryable, perMentor: number): Promise<OpenReviewRow[]> {
	const r = await q.query<OpenReviewRow>(
		`WITH open AS (
		   SELECT r.*, row_number() OVER w AS n, count(*) OVER (PARTITION BY r.mentor_email) AS total,
		          first_value(r.chat_id) OVER (PARTITION BY r.mentor_email ORDER BY r.opened_at DESC, r.id DESC) AS last_chat
		     FROM reviews r
		    WHERE r.closed_at IS NULL AND r.mentor_email IS NOT NULL
		   WINDOW w AS (PARTITION BY r.mentor_email ORDER BY r.opened_at, r.id)
		 )
		 SELECT o.id::text AS id, o.mentor_email, COALESCE(NULLIF(trim(concat_ws(' ', m.first_name, m.last_name)), ''), o.mentor_name) AS mentor_name,
		        m.id::text AS current_mentor_id, COALESCE(m.telegram_id::text || COALESCE(':' || m.telegram_topic_id::text, ''), o.last_chat) AS chat_id,
		        o.student_user_id, o.student_email, o.student_name, o.training_id, o.training_name, o.lesson_id, o.lesson_name,
		        o.answer_id, o.is_resubmission, o.opened_at, o.deadline_at, o.total::text AS total, NOW() AS now
		   FROM open o
		   LEFT JOIN LATERAL (SELECT m.id, m.first_name, m.last_name, m.telegram_id, m.telegram_topic_id FROM mentors m
		                       WHERE lower(m.email) = o.mentor_email AND m.valid_from <= NOW() AND NOW() < m.valid_to
		                       ORDER BY m.valid_from DESC, m.id DESC LIMIT 1) m ON TRUE
		  WHERE o.n <= $1::int
		  ORDER BY o.mentor_email, o.n`,
		[perMentor],
	);
	return r.rows;
}
