import type { Queryable } from './types';

/**
 * When each chat may get its next message (table chat_pace), shared by every process using this
 * database. A run that holds a chat paces it locally; when it lets go (a message recorded sent,
 * a 429, a lost answer) it writes the chat's next turn here, and the next claim of that chat, in
 * any process, waits for it. Times travel as "milliseconds from now" and are placed on the
 * database's clock, so hosts with different clocks agree.
 */
export interface PaceNote {
	/** The chat itself (a topic's group), see lib/telegram/chatId.ts paceKey. */
	chat: string;
	/** Its next message no earlier than this many milliseconds from now. */
	inMs: number;
}

/** Moves chats' next turns later (never earlier): after a 429, or an answer lost in the network. */
export async function notePace(q: Queryable, notes: PaceNote[]): Promise<void> {
	if (!notes.length) return;
	await q.query(
		`INSERT INTO chat_pace (chat_id, next_at)
		 SELECT chat, clock_timestamp() + make_interval(secs => max(ms) / 1000)
		   FROM unnest($1::text[], $2::double precision[]) AS n(chat, ms) GROUP BY chat
		 ON CONFLICT (chat_id) DO UPDATE SET next_at = GREATEST(chat_pace.next_at, EXCLUDED.next_at)`,
		[notes.map((n) => n.chat), notes.map((n) => Math.max(0, n.inMs))],
	);
}
