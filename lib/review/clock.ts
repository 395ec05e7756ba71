import { dueReviews, queueReviewNotices, setDeadlines, unscheduledReviews, type DueReview, type NoticeKind, type ReviewNotice } from '../db/reviews';
import type { Queryable } from '../db/types';
import { messageHash } from '../notify/createNotifications';
import { lessonButton } from './links';
import { escalationMessage, reminderMessage } from './messages';
import { parseHours, type ClockSettings } from './settings';
import { REVIEW_ESCALATION, REVIEW_REMINDER } from './types';
import { addWorkingTime } from './workingTime';

export interface ClockRunOptions {
	/** Reviews per statement. */
	batchSize?: number;
	/** Batches per step and run (the rest waits for the next run). */
	maxBatches?: number;
}

export interface ClockRunResult {
	deadlinesSet: number;
	reminders: number;
	escalations: number;
	/** Why escalations were not looked at (no staff chat). */
	escalationsSkipped: string | null;
	/** Statements that read or wrote reviews. */
	statements: number;
}

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_MAX_BATCHES = 40;

/**
 * One run of the clock (every minute in the review-clock template):
 *  1. reviews without a deadline get one: Check Within hours (or the training's review_hours)
 *     of working time after the answer's receipt; the escalation falls at twice that;
 *  2. open reviews past their deadline get one reminder to the mentor;
 *  3. open reviews past twice their deadline get one escalation to the staff chat.
 * Each step reads a batch with an index range scan and writes it in one statement; a reminder
 * or escalation is marked on its review in the statement that queues it, so it is never queued
 * again. Send Pending sends them (paced).
 */
export async function runReviewClock(q: Queryable, s: ClockSettings, o: ClockRunOptions = {}): Promise<ClockRunResult> {
	const batchSize = o.batchSize ?? DEFAULT_BATCH_SIZE;
	const maxBatches = o.maxBatches ?? DEFAULT_MAX_BATCHES;
	const out: ClockRunResult = { deadlinesSet: 0, reminders: 0, escalations: 0, escalationsSkipped: null, statements: 0 };

	for (let b = 0; b < maxBatches; b++) {
		const rows = await unscheduledReviews(q, batchSize);
		out.statements++;
		if (!rows.length) break;
		const deadlines = rows.map((r) => {
			const hours = r.training_hours === null ? s.checkWithinHours : parseHours(r.training_hours, `review_hours of training ${r.training_id}`);
			return { id: r.id, hours, deadline: addWorkingTime(r.opened_at, hours, s), escalate: addWorkingTime(r.opened_at, 2 * hours, s) };
		});
		out.deadlinesSet += await setDeadlines(q, deadlines);
		out.statements++;
		if (rows.length < batchSize) break;
	}

	out.reminders = await queueDue(q, 'reminder', s, batchSize, maxBatches, out);
	if (s.staffChatId) out.escalations = await queueDue(q, 'escalation', s, batchSize, maxBatches, out);
	else out.escalationsSkipped = 'no Staff Chat ID set';
	return out;
}

function notice(kind: NoticeKind, r: DueReview, s: ClockSettings): ReviewNotice {
	if (kind === 'reminder') {
		return {
			reviewId: r.id,
			eventId: r.event_id,
			mentorId: r.current_mentor_id,
			chatId: r.chat_id,
			message: reminderMessage(r, s.timeZone),
			messageHash: messageHash(REVIEW_REMINDER, `review:${r.id}`),
			replyMarkup: lessonButton(s.link, { lesson_id: r.lesson_id, answer_id: r.answer_id, training_id: r.training_id, user_id: r.student_user_id }),
		};
	}
	return {
		reviewId: r.id,
		eventId: r.event_id,
		mentorId: null,
		chatId: s.staffChatId,
		message: escalationMessage(r, s.timeZone),
		messageHash: messageHash(REVIEW_ESCALATION, `review:${r.id}`),
		replyMarkup: null,
	};
}

async function queueDue(q: Queryable, kind: NoticeKind, s: ClockSettings, batchSize: number, maxBatches: number, out: ClockRunResult): Promise<number> {
	let queued = 0;
	for (let b = 0; b < maxBatches; b++) {
		const due = await dueReviews(q, kind, s.catchUpHours, batchSize);
		out.statements++;
		if (!due.length) break;
		// A mentor with no chat at all is not reminded (the review is marked all the same); the escalation still goes.
		const r = await queueReviewNotices(q, kind, kind === 'reminder' ? REVIEW_REMINDER : REVIEW_ESCALATION, due.map((x) => notice(kind, x, s)));
		out.statements++;
		queued += r.created;
		if (due.length < batchSize || r.queued === 0) break; // none marked: another run has these
	}
	return queued;
}
