import { claimAndResolve, type ResolveOptions, type ResolvedRow } from '../db/resolve';
import type { Queryable } from '../db/types';

export const LOG_SOURCE = 'getcourse-resolve-mentor';

/** What Resolve Mentor hands to Create Notification, one per resolved event. */
export interface ResolvedEvent {
	eventId: string;
	idempotencyKey: string;
	eventDate: string;
	eventType: string | null;
	answer: { id: string; status: string | null; text: string | null; trainingId: string | null; lessonId: string | null };
	student: { id: string; userId: string; email: string; firstName: string | null; lastName: string | null; name: string };
	mentor: { id: string; email: string; firstName: string | null; lastName: string | null; name: string; telegramId: string };
	training: { id: string | null; name: string | null };
	lesson: { id: string | null; name: string | null };
}

export interface UnresolvedEvent {
	eventId: string;
	problem: string;
	attempts: number;
}

const fullName = (first: string | null, last: string | null, fallback: string) =>
	[first, last].filter((x) => x && x.trim()).join(' ') || fallback;

export function toResolvedEvent(r: ResolvedRow): ResolvedEvent {
	return {
		eventId: r.event_id,
		idempotencyKey: r.idempotency_key,
		eventDate: new Date(r.event_date).toISOString(),
		eventType: r.event_type,
		answer: {
			id: r.answer_id,
			status: r.answer_status,
			text: r.answer_text,
			trainingId: r.answer_training_id,
			lessonId: r.answer_lesson_id,
		},
		student: {
			id: r.student_id as string,
			userId: r.user_id,
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
		training: { id: r.answer_training_id, name: r.training_name },
		lesson: { id: r.answer_lesson_id, name: r.lesson_name },
	};
}

/** Claims a batch and splits it into events ready for a notification and events with a problem. */
export async function resolveMentors(
	q: Queryable,
	opts: ResolveOptions,
): Promise<{ resolved: ResolvedEvent[]; unresolved: UnresolvedEvent[] }> {
	const rows = await claimAndResolve(q, opts, LOG_SOURCE);
	const resolved: ResolvedEvent[] = [];
	const unresolved: UnresolvedEvent[] = [];
	for (const r of rows) {
		if (r.problem) unresolved.push({ eventId: r.event_id, problem: r.problem, attempts: r.attempts });
		else resolved.push(toResolvedEvent(r));
	}
	return { resolved, unresolved };
}
