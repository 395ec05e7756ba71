import { insertNotifications, type NewNotification } from '../db/notifications';
import { openReviewsByMentor, type OpenReviewRow } from '../db/reviews';
import type { Queryable } from '../db/types';
import { messageHash } from '../notify/createNotifications';
import { digestMessage } from './messages';
import type { LinkSettings } from './settings';
import { REVIEW_DIGEST } from './types';
import { localDateString, localParts } from '../zonedTime';

export interface DigestOptions {
	timeZone: string;
	/** Local hour (0–23) from which the day's digests go; a run before it queues nothing. */
	hour: number;
	link: LinkSettings;
	/** Reviews listed per mentor (the message says how many more). */
	perMentor?: number;
	now?: Date;
}

export interface DigestResult {
	/** The school's date the digests are for (YYYY-MM-DD). */
	date: string;
	/** Set when the run came before the digest hour. */
	skipped: string | null;
	mentors: number;
	/** Digests queued now; the others of the day were queued by an earlier run. */
	created: number;
	noChat: number;
}

export const DEFAULT_DIGEST_HOUR = 9;
export const DEFAULT_DIGEST_SIZE = 30;

/**
 * A morning digest per mentor with open reviews (oldest first), once per mentor and school day:
 * the message_hash holds the mentor and the date, so the template can run it hourly (or n8n can
 * miss 09:00) and each mentor still gets one. Mentors with nothing open get nothing.
 */
export async function queueDigests(q: Queryable, o: DigestOptions): Promise<DigestResult> {
	const now = o.now ?? new Date();
	const date = localDateString(now, o.timeZone);
	const hour = localParts(now, o.timeZone).hour;
	if (hour < o.hour) return { date, skipped: `before ${o.hour}:00 (${o.timeZone})`, mentors: 0, created: 0, noChat: 0 };
	const rows = await openReviewsByMentor(q, o.perMentor ?? DEFAULT_DIGEST_SIZE);
	const byMentor = new Map<string, OpenReviewRow[]>();
	for (const r of rows) {
		const list = byMentor.get(r.mentor_email) ?? [];
		list.push(r);
		byMentor.set(r.mentor_email, list);
	}
	const out: NewNotification[] = [];
	let noChat = 0;
	for (const [email, list] of byMentor) {
		const chatId = list[0].chat_id;
		if (!chatId) {
			noChat++;
			continue;
		}
		const { message, replyMarkup } = digestMessage(list, o.timeZone, o.link);
		out.push({
			eventId: null,
			mentorId: list[0].current_mentor_id,
			chatId,
			type: REVIEW_DIGEST,
			message,
			messageHash: messageHash(REVIEW_DIGEST, `digest:${email}:${date}`),
			replyMarkup,
		});
	}
	const created = await insertNotifications(q, out);
	return { date, skipped: null, mentors: byMentor.size, created: [...created.values()].filter((c) => c.created).length, noChat };
}
