/**
 * Telegram allows about 30 messages a second overall and 1 a second per chat. The pacer
 * hands out start times: globally spaced, never more than `messagesPerSecond` starts in any
 * one-second window (timer jitter cannot bunch them), and per chat spaced. A message whose
 * chat is not ready yet is skipped in favour of one that is, so one busy chat does not stall
 * the rest.
 */
export class Pacer {
	private nextGlobal = 0;
	private readonly nextChat = new Map<string, number>();
	private readonly globalGap: number;
	/** Start times of the last `perWindow` messages, oldest first. */
	private readonly recent: number[] = [];
	private readonly perWindow: number;

	constructor(
		messagesPerSecond: number,
		private readonly perChatGapMs: number,
	) {
		this.globalGap = 1000 / messagesPerSecond;
		this.perWindow = Math.max(1, Math.floor(messagesPerSecond));
	}

	/** Earliest moment the next message may start, whichever chat. */
	nextGlobalSlot(now: number): number {
		const windowFree = this.recent.length >= this.perWindow ? this.recent[0] + 1000 : 0;
		return Math.max(now, this.nextGlobal, windowFree);
	}

	chatReadyAt(chat: string): number {
		return this.nextChat.get(chat) ?? 0;
	}

	take(chat: string, at: number): void {
		this.nextGlobal = at + this.globalGap;
		this.nextChat.set(chat, Math.max(this.chatReadyAt(chat), at + this.perChatGapMs));
	}

	/** Call when the request really starts (after any wait), for the one-second window. */
	started(at: number): void {
		this.recent.push(at);
		if (this.recent.length > this.perWindow) this.recent.shift();
	}

	/** After a 429: hold this chat back for retry_after. */
	holdChat(chat: string, untilMs: number): void {
		this.nextChat.set(chat, Math.max(this.chatReadyAt(chat), untilMs));
	}
}
