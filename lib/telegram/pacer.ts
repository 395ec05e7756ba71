import { createHash } from 'node:crypto';
import { isGroupChat } from './chatId';

/**
 * Telegram allows about 30 messages a second overall, 1 a second per private chat and about 20 a
 * minute per group. The pacer of one process hands out start times: globally spaced, never more
 * than `messagesPerSecond` starts in any one-second window (a late timer cannot bunch them), and
 * per chat spaced (a group further apart). A message whose chat is not ready yet is skipped in
 * favour of one that is, so one busy chat does not stall the rest. Chats are keyed by the caller
 * (a topic's group). Between processes the overall pace is shared through send_pace and each
 * chat's next turn through chat_pace (a chat is sent to by one run at a time).
 */
export class Pacer {
	private nextGlobal = 0;
	private readonly nextChat = new Map<string, number>();
	private globalGap = 0;
	private perWindow = 1;
	private perChatGapMs = 0;
	private groupGapMs = 0;
	/** Start times of the latest messages (scheduled, then actual), ascending. */
	private recent: number[] = [];

	constructor(messagesPerSecond: number, perChatGapMs: number, groupGapMs = perChatGapMs) {
		this.configure(messagesPerSecond, perChatGapMs, groupGapMs);
	}

	configure(messagesPerSecond: number, perChatGapMs: number, groupGapMs = perChatGapMs): void {
		this.globalGap = 1000 / messagesPerSecond;
		this.perWindow = Math.max(1, Math.floor(messagesPerSecond));
		this.perChatGapMs = perChatGapMs;
		this.groupGapMs = Math.max(groupGapMs, perChatGapMs);
	}

	/** Least time between two messages to this chat. */
	gapFor(chat: string): number {
		return isGroupChat(chat) ? this.groupGapMs : this.perChatGapMs;
	}

	/** Earliest moment the next message may start, whichever chat. */
	nextGlobalSlot(now: number): number {
		const n = this.recent.length;
		const windowFree = n >= this.perWindow ? this.recent[n - this.perWindow] + 1000 : 0;
		return Math.max(now, this.nextGlobal, windowFree);
	}

	chatReadyAt(chat: string): number {
		return this.nextChat.get(chat) ?? 0;
	}

	take(chat: string, at: number): void {
		this.nextGlobal = at + this.globalGap;
		if (this.nextChat.size > 10_000) for (const [c, t] of this.nextChat) if (t < at) this.nextChat.delete(c);
		this.nextChat.set(chat, Math.max(this.chatReadyAt(chat), at + this.gapFor(chat)));
		this.recent.push(at);
		if (this.recent.length > this.perWindow * 2) this.recent = this.recent.slice(-this.perWindow);
	}

	/**
	 * The request really started at `actual` (timers and the shared pace run late): the window
	 * and the chat's next turn count from that, not from the planned time.
	 */
	started(chat: string, scheduled: number, actual: number): void {
		if (actual <= scheduled) return;
		const i = this.recent.lastIndexOf(scheduled);
		if (i >= 0) {
			this.recent[i] = actual;
			this.recent.sort((a, b) => a - b);
		}
		this.nextChat.set(chat, Math.max(this.chatReadyAt(chat), actual + this.gapFor(chat)));
	}

	/** After a 429 (retry_after), or when chat_pace says the chat's next turn is later. */
	holdChat(chat: string, untilMs: number): void {
		this.nextChat.set(chat, Math.max(this.chatReadyAt(chat), untilMs));
	}
}

const shared = new Map<string, Pacer>();

/** Identifies a bot without keeping its token. */
export function botKey(baseUrl: string, token: string): string {
	return createHash('sha256').update(`${baseUrl}\u0000${token}`).digest('hex');
}

/**
 * One pacer per bot in this process: back-to-back and overlapping executions of Send Pending
 * share Telegram's budget instead of each starting with a fresh one.
 */
export function pacerFor(key: string, messagesPerSecond: number, perChatGapMs: number, groupGapMs = perChatGapMs): Pacer {
	let p = shared.get(key);
	if (!p) {
		p = new Pacer(messagesPerSecond, perChatGapMs, groupGapMs);
		shared.set(key, p);
	} else {
		p.configure(messagesPerSecond, perChatGapMs, groupGapMs);
	}
	return p;
}
