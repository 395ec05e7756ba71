import { createHash } from 'node:crypto';

export type EventKind = 'answer' | 'comment';

/**
 * What makes two calls "the same delivery" (SPEC §8). A redelivery repeats the call: same
 * answer, status, text and date as sent (the Tech API's ts64, the process's date parameter),
 * so it gets the same key and stays one row. A resubmission (back to "new" with new text or a
 * new date) and a new status get a new key, so they are new events. A comment is keyed by its
 * own id. Migration 002 computes the same fingerprint in SQL for release 0.1's rows: keep the
 * two in step.
 */
export function fingerprint(text: string | null, rawDate: string): string {
	return createHash('sha256').update(`${text ?? ''}\u0001${rawDate}`).digest('hex').slice(0, 16);
}

export function eventKey(e: {
	kind: EventKind;
	answerId: string;
	status: string;
	commentId: string | null;
	text: string | null;
	rawDate: string;
}): string {
	if (e.kind === 'comment') {
		return e.commentId ? `comment:${e.commentId}` : `comment:${e.answerId}:${fingerprint(e.text, e.rawDate)}`;
	}
	return `answer:${e.answerId}:${e.status}:${fingerprint(e.text, e.rawDate)}`;
}
