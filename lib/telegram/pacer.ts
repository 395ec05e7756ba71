import { createHash } from 'node:crypto';
import { isGroupChat } from './chatId';

/** Per-chat limits: a least gap for every chat, and for groups at most `groupPerWindow` starts in any `groupWindowMs`. */
export interface ChatLimits {
	perChatGapMs: number;
	groupPerWindow: number;
	groupWindowMs: number;
}

/**
 * Telegram allows about 30 messages a second overall, 1 a second per private chat and about 20 a
 * minute per group. The pacer of one process hands out start times: globally spaced, never more
 * than `messagesPerSecond` (rounded up) starts in any one-second window (a late timer cannot bunch
 * them); per
 * chat spaced; and per group never more than `groupPerWindow` starts in any window. A message
 * whose chat is not ready yet is skipped in favour of one that is, so one busy chat does not
 * stall the rest. Chats are keyed by the caller (a topic's group). Between processes the overall
 * pace is shared through send_pace, and each chat's next turn and a group's latest starts
 * through chat_pace (a chat is sent to by one run at a time; its claim brings them along).
 */
export class Pacer {
	private nextGlobal = 0;
	private readonly nextChat = new Map<string, number>();
	/** Groups: times of their latest messages (start, then answer), ascending. */
	private readonly groupStarts = new Map<string, number[]>();
	/** Chats with a request in flight: the next waits for its answer (and keeps the order). */
	private readonly inFlight = new Set<string>();
	private globalGap = 0;
	private perWindow = 1;
	private limits: ChatLimits = { perChatGapMs: 0, groupPerWindow: 20, groupWindowMs: 61_000 };
	/** Start times of the latest messages (scheduled, then actual), ascending. */
	private recent: number[] = [];

	constructor(messagesPerSecond: number, limits: ChatLimits) {
		this.configure(messagesPerSecond, limits);
	}

	configure(messagesPerSecond: number, limits: ChatLimits): void {
		this.globalGap = 1000 / messagesPerSecond;
		// Rounded up: at 28.5 a second the window must let 28.5 a second through (29 in some
		// seconds); rounded down it capped the pace at 28 (27.7 measured). 29 stays under 30.
		this.perWindow = Math.max(1, Math.ceil(messagesPerSecond));
		this.limits = { ...limits };
	}

	/** Earliest moment the next message may start, whichever chat. */
	nextGlobalSlot(now: number): number {
		const n = this.recent.length;
		const windowFree = n >= this.perWindow ? this.recent[n - this.perWindow] + 1000 : 0;
		return Math.max(now, this.nextGlobal, windowFree);
	}

	chatReadyAt(chat: string): number {
		if (this.inFlight.has(chat)) return Infinity;
		const next = this.nextChat.get(chat) ?? 0;
		const starts = this.groupStarts.get(chat);
		const { groupPerWindow: n, groupWindowMs } = this.limits;
		return starts && starts.length >= n ? Math.max(next, starts[starts.length - n] + groupWindowMs) : next;
	}

	private prune(at: number): void {
		if (this.nextChat.size > 10_000) for (const [c, t] of this.nextChat) if (t < at) this.nextChat.delete(c);
		if (this.groupStarts.size > 10_000) for (const [c, t] of this.groupStarts) if (t[t.length - 1] < at - this.limits.groupWindowMs) this.groupStarts.delete(c);
	}

	private noteStart(chat: string, at: number): void {
		if (!isGroupChat(chat)) return;
		const starts = this.groupStarts.get(chat) ?? [];
		starts.push(at);
		starts.sort((a, b) => a - b);
		this.groupStarts.set(chat, starts.slice(-Math.max(1, this.limits.groupPerWindow)));
	}

	take(chat: string, at: number): void {
		this.nextGlobal = at + this.globalGap;
		this.prune(at);
		this.nextChat.set(chat, Math.max(this.nextChat.get(chat) ?? 0, at + this.limits.perChatGapMs));
		this.noteStart(chat, at);
		this.recent.push(at);
		if (this.recent.length > this.perWindow * 2) this.recent = this.recent.slice(-this.perWindow);
	}

	/**
	 * The request really started at `actual` (timers and the shared pace run late): the windows
	 * and the chat's next turn count from that, not from the planned time.
	 */
	started(chat: string, scheduled: number, actual: number): void {
		if (actual <= scheduled) return;
		const i = this.recent.lastIndexOf(scheduled);
		if (i >= 0) {
			this.recent[i] = actual;
			this.recent.sort((a, b) => a - b);
		}
		const starts = this.groupStarts.get(chat);
		const j = starts ? starts.lastIndexOf(scheduled) : -1;
		if (starts && j >= 0) {
			starts[j] = actual;
			starts.sort((a, b) => a - b);
		}
		this.nextChat.set(chat, Math.max(this.nextChat.get(chat) ?? 0, actual + this.limits.perChatGapMs));
	}

	/** A request to the chat left at `startedAt`. Until its answer, the chat gets nothing more. */
	sending(chat: string): void {
		this.inFlight.add(chat);
	}

	/**
	 * Its answer came at `at`. When the request reached Telegram is only known to lie between
	 * start and answer (a cold connection can take half a second), so the chat's gap and a group's
	 * minute count from the answer: two messages never reach Telegram closer than the gap.
	 */
	answered(chat: string, startedAt: number, at: number): void {
		this.inFlight.delete(chat);
		this.nextChat.set(chat, Math.max(this.nextChat.get(chat) ?? 0, at + this.limits.perChatGapMs));
		const starts = this.groupStarts.get(chat);
		const j = starts ? starts.lastIndexOf(startedAt) : -1;
		if (starts && j >= 0) {
			starts[j] = Math.max(starts[j], at);
			starts.sort((a, b) => a - b);
		}
	}

	/** After a 429 (retry_after), or when chat_pace says the chat's next turn is later. */
	holdChat(chat: string, untilMs: number): void {
		this.nextChat.set(chat, Math.max(this.nextChat.get(chat) ?? 0, untilMs));
	}

	/**
	 * A group's latest starts as chat_pace has them (another process may have sent them): added
	 * to what this process knows. Two starts closer than half the chat interval are one (they are
	 * at least the chat interval apart), so a start this process made and also recorded counts once.
	 */
	learnStarts(chat: string, times: number[]): void {
		if (!isGroupChat(chat) || !times.length) return;
		const starts = this.groupStarts.get(chat) ?? [];
		const same = Math.min(500, this.limits.perChatGapMs / 2);
		for (const t of times) if (!starts.some((s) => Math.abs(s - t) < same)) starts.push(t);
		starts.sort((a, b) => a - b);
		this.groupStarts.set(chat, starts.slice(-Math.max(1, this.limits.groupPerWindow)));
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
export function pacerFor(key: string, messagesPerSecond: number, limits: ChatLimits): Pacer {
	let p = shared.get(key);
	if (!p) {
		p = new Pacer(messagesPerSecond, limits);
		shared.set(key, p);
	} else {
		p.configure(messagesPerSecond, limits);
	}
	return p;
}
