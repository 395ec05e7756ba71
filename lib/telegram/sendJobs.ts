import type { ClaimedNotification } from '../db/notificationClaims';
import { paceKey } from './chatId';
import { buildDigests } from './digest';

/** One Telegram message to send: a notification, or a digest part carrying several. */
export interface Job {
	rows: ClaimedNotification[];
	/** As stored (may name a topic). */
	chat: string;
	/** The chat its limits apply to (a topic's group). */
	pace: string;
	text: string;
	/** A single notification's inline keyboard (digests carry none). */
	replyMarkup: object | null;
	/** Tries within this run. */
	tries: number;
	/** Local time at which the claim's lease ends: results are written until then. */
	leaseEndsAt: number;
	/** When its latest try started (local time). */
	startedAt?: number;
	/** Its latest try's slot in the bot's shared pace (send_pace), moved to the answer when it comes. */
	sharedSlot?: string | null;
}

/**
 * Turns one claim into messages: staff rows of coalescible types that wait for the same chat (topic)
 * become digest parts when there are several; every other row is a message of its own. Chats
 * are interleaved round-robin (oldest first), so consecutive messages rarely share a chat.
 */
export function buildJobs(rows: ClaimedNotification[], coalescible: readonly string[], leaseEndsAt: number): Job[] {
	const units: Array<{ first: number; job: Job }> = [];
	const digests = new Map<string, ClaimedNotification[]>();
	for (const n of rows) {
		if (n.mentor_id === null && coalescible.includes(n.type) && !n.reply_markup) {
			const list = digests.get(n.chat_id) ?? [];
			list.push(n);
			digests.set(n.chat_id, list);
		} else {
			units.push({ first: Number(n.id), job: { rows: [n], chat: n.chat_id, pace: paceKey(n.chat_id), text: n.message, replyMarkup: n.reply_markup, tries: 0, leaseEndsAt } });
		}
	}
	for (const [chat, list] of digests) {
		const byId = new Map(list.map((n) => [n.id, n]));
		for (const part of buildDigests(list.map((n) => ({ key: n.id, text: n.message })))) {
			const parts = part.keys.map((k) => byId.get(k) as ClaimedNotification);
			units.push({ first: Number(parts[0].id), job: { rows: parts, chat, pace: paceKey(chat), text: part.text, replyMarkup: null, tries: 0, leaseEndsAt } });
		}
	}
	units.sort((a, b) => a.first - b.first);
	const byChat = new Map<string, Job[]>();
	for (const u of units) {
		const list = byChat.get(u.job.pace) ?? [];
		list.push(u.job);
		byChat.set(u.job.pace, list);
	}
	const out: Job[] = [];
	const lists = [...byChat.values()];
	for (let round = 0; out.length < units.length; round++) {
		for (const l of lists) if (round < l.length) out.push(l[round]);
	}
	return out;
}
