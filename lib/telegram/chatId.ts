/**
 * A chat id as staff type it: digits (negative for a group), an @channel, or a forum topic of a
 * group written `-100123:45` (chat -100123, message_thread_id 45). Stored as given; split only
 * when a message is sent, so a topic travels through notifications.chat_id unchanged.
 */
export interface ChatAddress {
	/** The chat Telegram's limits apply to (a topic shares its group's). */
	chatId: string;
	threadId: number | null;
}

const NUMERIC = /^-?\d{1,20}$/;
const TOPIC = /^(-?\d{1,20}):(\d{1,10})$/;
const CHANNEL = /^@\w{4,}$/;

export function parseChatId(raw: string): ChatAddress {
	const s = String(raw ?? '').trim();
	const m = TOPIC.exec(s);
	if (m && Number(m[2]) > 0 && Number(m[2]) <= 2147483647) return { chatId: m[1], threadId: Number(m[2]) };
	return { chatId: s, threadId: null };
}

/** The chat a message counts against, for pacing: the group of a topic. */
export function paceKey(raw: string): string {
	return parseChatId(raw).chatId;
}

/** Groups and supergroups (negative ids, and @channels) get about 20 messages a minute, not one a second. */
export function isGroupChat(raw: string): boolean {
	const c = paceKey(raw);
	return c.startsWith('-') || c.startsWith('@');
}

/** The reason a chat id is unusable, or null. */
export function chatIdProblem(raw: string): string | null {
	const s = String(raw ?? '').trim();
	if (NUMERIC.test(s) || CHANNEL.test(s)) return null;
	const m = TOPIC.exec(s);
	if (m) return Number(m[2]) > 0 && Number(m[2]) <= 2147483647 ? null : `the topic id in "${s}" must be between 1 and 2147483647`;
	return `"${s.slice(0, 60)}" is not a Telegram chat id (digits, negative for groups; a forum topic as -100123:45) or @channel`;
}
