/**
 * Telegram allows about 30 messages a second overall and 1 a second per chat. The pacer
 * hands out start times: globally spaced, and per chat spaced; a message whose chat is not
 * ready yet is skipped in favour of one that is, so one busy chat does not stall the rest.
 */
export class Pacer {
	private nextGlobal = 0;
	private readonly nextChat = new Map<string, number>();
	private readonly globalGap: number;

	constructor(
		messagesPerSecond: number,
		private readonly perChatGapMs: number,
	) {
		this.globalGap = 1000 / messagesPerSecond;
	}

	/** Earliest moment the next message may start, whichever chat. */
	nextGlobalSlot(now: number): number {
		return Math.max(now, this.nextGlobal);
	}

	chatReadyAt(chat: string): number {
		return this.nextChat.get(chat) ?? 0;
	}

	take(chat: string, at: number): void {
		this.nextGlobal = at + this.globalGap;
		this.nextChat.set(chat, Math.max(this.chatReadyAt(chat), at + this.perChatGapMs));
	}

	/** After a 429: hold this chat back for retry_after. */
	holdChat(chat: string, untilMs: number): void {
		this.nextChat.set(chat, Math.max(this.chatReadyAt(chat), untilMs));
	}
}
