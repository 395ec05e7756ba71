import { hash } from 'node:crypto';

export type EventKind = 'answer' | 'comment';

/**
 * The call's own key (SPEC §8): answer, status, text and date as sent (the Tech API's ts64, the
 * process's date parameter); a comment is keyed by its own id. Two calls with the same key are
 * the same call — but whether a repeat is a redelivery depends on what was stored meanwhile (a
 * `new` again after `declined` is a resubmission even with the same text and date), which
 * lib/db/events.ts decides against the answer's latest stored event. Migration 002 computes the
 * same fingerprint in SQL for release 0.1's rows: keep the two in step.
 */
export function fingerprint(text: string | null, rawDate: string): string {
	return hash('sha256', `${text ?? ''}\u0001${rawDate}`, 'hex').slice(0, 16); // one-shot: no Hash object per call
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
