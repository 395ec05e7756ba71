import { writeLogs, type LogEntry } from '../db/logs';
import { claimEvents, recordResolution, type ProblemCode, type ResolutionRecord, type ResolvedRow } from '../db/resolve';
import type { Queryable } from '../db/types';
import { DEFAULT_RETRY_SCHEDULE_MINUTES, retryDelaySeconds } from './backoff';
import { describeProblem, resolutionNotes } from './problems';

export const LOG_SOURCE = 'getcourse-resolve-mentor';

export interface ResolveOptions {
	batchSize: number;
	/** How long claimed events stay reserved for the Create Notification step. */
	leaseSeconds: number;
	/** Resolution attempts before an event is given up (processed with its error). */
	maxAttempts: number;
	/** Minutes to wait after attempt 1, 2, …; the last entry repeats. */
	retrySchedule?: number[];
}

/** What Resolve Mentor hands to Create Notification, one per resolved event. */
export interface ResolvedEvent {
	eventId: string;
	idempotencyKey: string;
	eventDate: string;
	eventType: string | null;
	kind: 'answer' | 'comment';
	/** The answer came back ("повторная сдача"): after declined/accepted, or with new text. */
	resubmission: boolean;
	answer: { id: string; status: string | null; text: string | null; trainingId: string | null; lessonId: string | null };
	comment: { id: string | null; text: string | null } | null;
	student: { id: string; userId: string; email: string; firstName: string | null; lastName: string | null; name: string };
	mentor: { id: string; email: string; firstName: string | null; lastName: string | null; name: string; telegramId: string };
	training: { id: string | null; name: string | null };
	lesson: { id: string | null; name: string | null };
	/** Fallbacks and overlaps met while resolving (also on the event and in the logs). */
	notes: string[];
}

/** An event nobody could be found for: Resolve Mentor's second output. */
export interface UnresolvedEvent {
	eventId: string;
	idempotencyKey: string;
	eventDate: string;
	kind: 'answer' | 'comment';
	answerId: string;
	userId: string;
	userEmail: string;
	problemCode: ProblemCode;
	problem: string;
	fix: string;
	attempts: number;
	maxAttempts: number;
	givenUp: boolean;
	nextAttemptAt: string | null;
	trainingId: string | null;
	lessonId: string | null;
	lessonName: string | null;
	/** The student found (when found), and the mapped mentor: what the problem is about. */
	studentEmail: string | null;
	mentorEmail: string | null;
	/** ambiguous_mentor: the mentors the student has at the event date. */
	candidates: string[];
	/** mentor_departed: when the mentor's last row ended. */
	mentorLeftAt: string | null;
}

const fullName = (first: string | null, last: string | null, fallback: string) =>
	[first, last].filter((x) => x && x.trim()).join(' ') || fallback;

export function toResolvedEvent(r: ResolvedRow, notes: string[] = []): ResolvedEvent {
	return {
		eventId: r.event_id,
		idempotencyKey: r.idempotency_key,
		eventDate: new Date(r.event_date).toISOString(),
		eventType: r.event_type,
		kind: r.event_kind,
		resubmission: r.is_resubmission,
		answer: {
			id: r.answer_id,
			status: r.answer_status,
			text: r.event_kind === 'comment' ? null : r.answer_text,
			trainingId: r.training_id,
			lessonId: r.answer_lesson_id,
		},
		comment: r.event_kind === 'comment' ? { id: r.comment_id, text: r.answer_text } : null,
		student: {
			id: r.student_id as string,
			userId: r.student_user_id ?? r.user_id,
			email: r.student_email as string,
			firstName: r.student_first_name,
			lastName: r.student_last_name,
			name: fullName(r.student_first_name, r.student_last_name, r.student_email as string),
		},
		mentor: {
			id: r.mentor_id as string,
			email: r.mentor_email as string,
			firstName: r.mentor_first_name,
			lastName: r.mentor_last_name,
			name: fullName(r.mentor_first_name, r.mentor_last_name, r.mentor_email as string),
			telegramId: r.mentor_telegram_id as string,
		},
		training: { id: r.training_id, name: r.training_name },
		lesson: { id: r.answer_lesson_id, name: r.lesson_name },
		notes,
	};
}

/**
 * Claims a batch and splits it into events ready for a notification, events with a problem
 * (retried with back-off, given up after maxAttempts) and stale events (closed quietly).
 * Writes the outcome on the events and the logs; the caller runs it in a transaction.
 */
export async function resolveMentors(
	q: Queryable,
	opts: ResolveOptions,
): Promise<{ resolved: ResolvedEvent[]; unresolved: UnresolvedEvent[]; stale: string[] }> {
	const schedule = opts.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MINUTES;
	const rows = await claimEvents(q, opts.batchSize, opts.leaseSeconds);
	const resolved: ResolvedEvent[] = [];
	const unresolved: UnresolvedEvent[] = [];
	const stale: string[] = [];
	const records: ResolutionRecord[] = [];
	const logs: LogEntry[] = [];
	const now = Date.now();
	for (const r of rows) {
		const context = { webhook_event_id: r.event_id, answer_id: r.answer_id, attempts: r.attempts };
		if (r.stale) {
			stale.push(r.event_id);
			records.push({ eventId: r.event_id, problem: null, studentEmail: null, note: 'stale: it arrived after a later event of this answer', stale: true, retryInSeconds: null });
			logs.push({ table: 'application_logs', level: 'info', source: LOG_SOURCE, message: `event ${r.event_id} is stale (it arrived after a later event of answer ${r.answer_id}): not notified`, context });
			continue;
		}
		const { fallbacks, overlaps } = resolutionNotes(r);
		const notes = [...fallbacks, ...overlaps];
		for (const o of overlaps) logs.push({ table: 'error_logs', level: 'warning', source: LOG_SOURCE, message: `overlap: ${o}`, context });
		for (const f of fallbacks) logs.push({ table: 'application_logs', level: 'warning', source: LOG_SOURCE, message: `fallback for event ${r.event_id}: ${f}`, context });
		if (!r.problem) {
			resolved.push(toResolvedEvent(r, notes));
			// Create Notification marks it processed (and fills a missing email): only a note needs writing now.
			if (notes.length) records.push({ eventId: r.event_id, problem: null, studentEmail: r.student_email, note: notes.join('; '), stale: false, retryInSeconds: null });
			continue;
		}
		const { message, fix } = describeProblem(r.problem, r);
		const givenUp = r.attempts >= opts.maxAttempts;
		const retryIn = givenUp ? null : retryDelaySeconds(schedule, r.attempts);
		records.push({ eventId: r.event_id, problem: message, studentEmail: r.student_email, note: notes.join('; ') || null, stale: false, retryInSeconds: retryIn });
		logs.push({
			table: 'error_logs',
			level: givenUp ? 'error' : 'warning',
			source: LOG_SOURCE,
			message: givenUp ? `${message} (given up after ${r.attempts} attempts)` : message,
			context: { ...context, problem: r.problem, given_up: givenUp, fix },
		});
		unresolved.push({
			eventId: r.event_id,
			idempotencyKey: r.idempotency_key,
			eventDate: new Date(r.event_date).toISOString(),
			kind: r.event_kind,
			answerId: r.answer_id,
			userId: r.user_id,
			userEmail: r.student_email ?? r.user_email,
			problemCode: r.problem,
			problem: message,
			fix,
			attempts: r.attempts,
			maxAttempts: opts.maxAttempts,
			givenUp,
			nextAttemptAt: retryIn === null ? null : new Date(now + retryIn * 1000).toISOString(),
			trainingId: r.training_id,
			lessonId: r.answer_lesson_id,
			lessonName: r.lesson_name,
			studentEmail: r.student_email,
			mentorEmail: r.mapping_mentor_email,
			candidates: r.mentor_candidates ?? [],
			mentorLeftAt: r.mentor_left_at ? new Date(r.mentor_left_at).toISOString() : null,
		});
	}
	await recordResolution(q, records);
	await writeLogs(q, logs);
	return { resolved, unresolved, stale };
}
