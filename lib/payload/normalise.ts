import { normaliseEmail } from '../email';
import { parseEventDate } from './dates';
import { parseEventValues, type EventValuesInput } from './eventValues';
import { DEFAULT_FIELDS, type FieldMap } from './fields';
import { eventKey, type EventKind } from './identity';
import { cleanRecord } from './sanitize';
import { isObject, ValueReader } from './values';

export type EventSource = 'tech_api' | 'process';

export { MAX_STORED_TEXT } from './eventValues';

export interface NormalisedEvent {
	/** The call's own key (lib/payload/identity.ts); the stored event's idempotency_key may extend it (lib/db/events.ts). */
	callKey: string;
	kind: EventKind;
	commentId: string | null;
	/** A comment's author (GetCourse comment.user_id); userId is the answer's student. Null when not said. */
	authorUserId: string | null;
	source: EventSource;
	eventType: string;
	eventDate: Date;
	userId: string;
	userEmail: string;
	answerId: string;
	trainingId: string | null;
	lessonId: string | null;
	status: string;
	text: string | null;
	lessonName: string | null;
	trainingName: string | null;
	rawPayload: Record<string, unknown>;
	/** Set when the call's date was more than a day after its receipt: the receipt time stands in (kept on the event). */
	dateNote: string | null;
}

export interface NormaliseOptions {
	timeZone: string;
	fields?: Partial<FieldMap>;
	/** Keys removed from the stored raw payload (the shared secret). */
	dropKeys?: string[];
	now?: () => Date;
}

export type NormaliseResult =
	| { ok: true; event: NormalisedEvent }
	| { ok: false; source: EventSource; reason: string; rawPayload: Record<string, unknown> };

/** A date further ahead of the receipt time than this is a wrong clock or time zone, not a fact (SPEC §8). */
export const FUTURE_DATE_TOLERANCE_MS = 24 * 60 * 60 * 1000;

interface Candidate {
	source: EventSource;
	eventType: string;
	kind: EventKind;
	values: EventValuesInput;
	dateValue: string | number | undefined;
	/** What to say when neither the user id nor the email came (the call must name its student). */
	whoMissing: string;
	/** Tech API: the user id is what finds the student (its events carry no email). */
	userIdRequired: boolean;
}

function fromTechApi(p: Record<string, unknown>, r: ValueReader): Candidate {
	const eventType = (r.text(p.eventType, 'eventType') || 'getcourse/lessonAnswerCreated').slice(0, 100);
	const comment = isObject(p.comment) ? p.comment : null;
	const isComment = comment !== null && !isObject(p.answer);
	if (!isComment && p.answer !== undefined && !isObject(p.answer)) r.problems.push('answer must be an object');
	const a = isObject(p.answer) ? p.answer : comment && isObject(comment.lesson_data) ? comment.lesson_data : {};
	const c = comment ?? {};
	// ts64 is Unix time; ts may be local time with a false "Z", so it comes last.
	const dateValue = r.date(p.ts64 ?? a.created_at ?? p.ts ?? c.created_at, 'the event date (ts64, created_at or ts)');
	return {
		source: 'tech_api',
		eventType,
		kind: isComment ? 'comment' : 'answer',
		values: {
			// A comment's student is comment.owner_id; comment.user_id is its author (often the mentor).
			userId: isComment ? r.id(c.owner_id ?? a.user_id ?? c.user_id, 'comment.owner_id') : r.id(a.user_id ?? p.user_id, 'answer.user_id'),
			authorUserId: isComment ? r.id(c.user_id, 'comment.user_id') : '',
			userEmail: r.text(p.user_email ?? a.user_email, 'user_email'),
			answerId: isComment ? r.id(c.answer_id, 'comment.answer_id') : r.id(a.id, 'answer.id'),
			commentId: isComment ? r.id(c.id, 'comment.id') : '',
			trainingId: r.id(a.training_id, 'answer.training_id'),
			lessonId: r.id(a.lesson_id, 'answer.lesson_id'),
			status: isComment ? 'comment' : r.text(a.status, 'answer.status'),
			text: isComment ? r.text(c.comment_text ?? c.text, 'comment.comment_text') : r.text(a.text, 'answer.text'),
			lessonName: r.text(a.lesson_name, 'answer.lesson_name'),
			trainingName: r.text(a.training_name, 'answer.training_name'),
		},
		dateValue,
		whoMissing: isComment ? 'comment.owner_id (the student) is missing' : 'answer.user_id is missing',
		userIdRequired: true,
	};
}

function fromProcess(p: Record<string, unknown>, f: FieldMap, r: ValueReader): Candidate {
	const label = (name: string) => `parameter "${name}"`;
	const commentId = r.id(p[f.commentId], label(f.commentId));
	const isComment = commentId.trim() !== '';
	const answerText = r.text(p[f.text], label(f.text));
	return {
		source: 'process',
		eventType: isComment ? 'getcourse/process/comment' : 'getcourse/process',
		kind: isComment ? 'comment' : 'answer',
		values: {
			userId: r.id(p[f.userId], label(f.userId)),
			authorUserId: isComment ? r.id(p[f.commentAuthorId], label(f.commentAuthorId)) : '',
			userEmail: r.text(p[f.userEmail], label(f.userEmail)),
			answerId: r.id(p[f.answerId], label(f.answerId)),
			commentId,
			trainingId: r.id(p[f.trainingId], label(f.trainingId)),
			lessonId: r.id(p[f.lessonId], label(f.lessonId)),
			status: isComment ? 'comment' : r.text(p[f.status], label(f.status)),
			text: isComment ? r.text(p[f.commentText], label(f.commentText)) || answerText : answerText,
			lessonName: r.text(p[f.lessonName], label(f.lessonName)),
			trainingName: r.text(p[f.trainingName], label(f.trainingName)),
		},
		dateValue: r.date(p[f.eventDate], label(f.eventDate)),
		whoMissing: `user id and email are both missing (parameters "${f.userId}" and "${f.userEmail}"): one of them is needed`,
		userIdRequired: false,
	};
}

/** Calls of one batch name the same students again and again: their emails are normalised once. */
const emails = new Map<string, string | null>();
function knownEmail(given: string): string | null {
	let e = emails.get(given);
	if (e === undefined) {
		if (emails.size >= 10_000) emails.clear();
		e = normaliseEmail(given);
		emails.set(given, e);
	}
	return e;
}

export function isTechApi(p: Record<string, unknown>): boolean {
	return isObject(p.answer) || isObject(p.comment) || (typeof p.eventType === 'string' && p.eventType.startsWith('getcourse/'));
}

/** Validates one GetCourse call (either kind) and builds the row to store, or the reason it is invalid. */
export function normaliseEvent(params: Record<string, unknown>, opts: NormaliseOptions): NormaliseResult {
	const fields = opts.fields ? { ...DEFAULT_FIELDS, ...opts.fields } : DEFAULT_FIELDS;
	const raw = cleanRecord(params, opts.dropKeys);
	const reader = new ValueReader();
	const c = isTechApi(params) ? fromTechApi(params, reader) : fromProcess(params, fields, reader);

	const problems = reader.problems;
	const parsed = parseEventValues(c.values);
	if (!parsed.success) {
		for (const issue of parsed.error.issues) if (!problems.includes(issue.message)) problems.push(issue.message);
	}
	const given = c.values.userEmail.trim();
	const email = given ? knownEmail(given) : '';
	if (email === null) problems.push(`email ${JSON.stringify(given.slice(0, 80))} is not a valid address`);
	const userId = parsed.success ? parsed.data.userId : c.values.userId.trim();
	if (!userId && (c.userIdRequired || !email) && !problems.some((p) => p.includes('user_id') || p.includes('owner_id'))) problems.push(c.whoMissing);

	const receivedAt = (opts.now ?? (() => new Date()))();
	let eventDate: Date | null = null;
	let dateNote: string | null = null;
	const rawDate = c.dateValue === undefined ? '' : String(c.dateValue);
	if (c.dateValue !== undefined) {
		eventDate = parseEventDate(c.dateValue, opts.timeZone);
		if (!eventDate) problems.push(`event date ${JSON.stringify(rawDate.slice(0, 60))} is not a date (use YYYY-MM-DD HH:MM:SS, ISO 8601 or Unix seconds)`);
		else if (eventDate.getTime() - receivedAt.getTime() > FUTURE_DATE_TOLERANCE_MS) {
			// One call dated years ahead would make every later event of its answer stale: not trusted.
			dateNote = `event date ${JSON.stringify(rawDate.slice(0, 60))} (${eventDate.toISOString()}) is more than a day after the call arrived: the receipt time is used`;
			eventDate = receivedAt;
		}
	} else if (!problems.some((p) => p.includes('event date'))) {
		eventDate = receivedAt; // GetCourse setups often omit it: the receipt time stands in
	}

	if (problems.length || !parsed.success || !eventDate) {
		return { ok: false, source: c.source, reason: problems.join('; '), rawPayload: raw };
	}
	const v = parsed.data;
	return {
		ok: true,
		event: {
			callKey: eventKey({ kind: c.kind, answerId: v.answerId, status: v.status, commentId: v.commentId, text: v.text, rawDate }),
			kind: c.kind,
			commentId: v.commentId,
			authorUserId: v.authorUserId,
			source: c.source,
			eventType: c.eventType,
			eventDate,
			userId: v.userId,
			userEmail: email ?? '',
			answerId: v.answerId,
			trainingId: v.trainingId,
			lessonId: v.lessonId,
			status: v.status,
			text: v.text,
			lessonName: v.lessonName,
			trainingName: v.trainingName,
			rawPayload: raw,
			dateNote,
		},
	};
}
