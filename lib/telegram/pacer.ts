import { createHash } from 'node:crypto';
import { isGroupChat } from './chatId';

/** Per-chat limits: a least gap for every chat, and for groups at most `groupPerWindow` starts in any `groupWindowMs`. */
export interface ChatLimits {
	perChatGapMs: number;
	groupPerWindow: number;
	groupWindowMs: number;
}

/**
 * The overall pace as a sliding window: at most `count` messages in any `windowMs`, counted as
 * Telegram counts them, by when they reach it. `count` is the pace rounded up, in a window that
 * keeps the pace on average and is never shorter than a second: 28.5 a second is 29 in any
 * 1,017.5 ms (never more than 29 in one second, still under Telegram's 30); 30 is 30 in any second;
 * 0.5 is 1 in any 2 s. A window shorter than a second would let a burst at its edge put more than
 * `count` in one second.
 */
export interface PaceWindow {
	count: number;
	windowMs: number;
}

export function paceWindow(messagesPerSecond: number): PaceWindow {
	const count = Math.max(1, Math.ceil(messagesPerSecond));
	return { count, windowMs: Math.max(1000, (count * 1000) / messagesPerSecond) };
}

/**
 * A request still unanswered this long after its start is taken to have reached Telegram by then
 * (a slow answer, or a dead connection the request timeout will end): it counts from that moment,
 * so one stuck request holds the bot's other chats back for a few seconds at most, not for the
 * whole request timeout.
 */
export const OPEN_AT_MOST_MS = 5_000;

interface WindowEntry {
	at: number;
	open: boolean;
}

/**
 * When a message of the overall window counts from: its answer (or its planned time, unused) once
 * known; Infinity while its answer may still come (it may reach Telegram any moment);
 * OPEN_AT_MOST_MS after its start when no answer came.
 */
function countsFrom(e: WindowEntry, now: number): number {
	if (!e.open) return e.at;
	return now - e.at < OPEN_AT_MOST_MS ? Infinity : e.at + OPEN_AT_MOST_MS;
}

/**
 * Telegram allows about 30 messages a second overall, 1 a second per private chat and about 20 a
 * minute per group. The pacer of one process hands out start times: never more than the pace's
 * window allows (paceWindow: a burst of new answers goes at once, up to 29 at the default pace,
 * rather than one every 35 ms; Telegram counts messages in a second, it does not space them). A
 * message counts in the window from its start until its answer, then from its answer: it reached
 * Telegram somewhere in between, so the window holds whatever the network's jitter; per
 * chat spaced; and per group never more than `groupPerWindow` starts in any window. A message
 * whose chat is not ready yet is skipped in favour of one that is, so one busy chat does not
 * stall the rest. Chats are keyed by the caller (a topic's group). Between processes the overall
 * pace is shared through send_pace, and each chat's next turn and a group's latest starts
 * through chat_pace (a chat is sent to by one run at a time; its claim brings them along).
 */
export class Pacer {
	private readonly nextChat = new Map<string, number>();
	/** Groups: times of their latest messages (start, then answer), ascending. */
	private readonly groupStarts = new Map<string, number[]>();
	/** Chats with a request in flight: the next waits for its answer (and keeps the order). */
	private readonly inFlight = new Set<string>();
	private window: PaceWindow = { count: 1, windowMs: 1000 };
	private limits: ChatLimits = { perChatGapMs: 0, groupPerWindow: 20, groupWindowMs: 61_000 };
	/**
	 * The latest messages of the overall window: when each counts from (scheduled, then started,
	 * then answered) and whether its answer is still to come.
	 */
	private recent: WindowEntry[] = [];

	constructor(messagesPerSecond: number, limits: ChatLimits) {
		this.configure(messagesPerSecond, limits);
	}

	configure(messagesPerSecond: number, limits: ChatLimits): void {
		this.window = paceWindow(messagesPerSecond);
		this.limits = { ...limits };
	}

	/**
	 * Earliest moment the next message may start, whichever chat: a window after the message
	 * `count` back. Infinity while that message's answer is still to come (it reaches Telegram some
	 * time before its answer, and the next may start only a window after that; OPEN_AT_MOST_MS at
	 * most): ask again when a send finishes.
	 */
	nextGlobalSlot(now: number): number {
		const { count, windowMs } = this.window;
		if (this.recent.length < count) return now;
		const latest = this.recent.map((e) => countsFrom(e, now)).sort((a, b) => b - a);
		return Math.max(now, latest[count - 1] + windowMs);
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
		this.prune(at);
		this.nextChat.set(chat, Math.max(this.nextChat.get(chat) ?? 0, at + this.limits.perChatGapMs));
		this.noteStart(chat, at);
		this.recent.push({ at, open: true });
		if (this.recent.length > this.window.count * 2) {
			// those still on their way and the latest `count` of the rest are all the window can need
			const onTheirWay = (e: WindowEntry) => countsFrom(e, at) === Infinity;
			const rest = this.recent.filter((e) => !onTheirWay(e)).sort((a, b) => countsFrom(a, at) - countsFrom(b, at));
			const keep = new Set(rest.slice(-this.window.count));
			this.recent = this.recent.filter((e) => onTheirWay(e) || keep.has(e));
		}
	}

	/**
	 * The request really started at `actual` (timers and the shared pace run late): the windows
	 * and the chat's next turn count from that, not from the planned time.
	 */
	started(chat: string, scheduled: number, actual: number): void {
		// the window's entry follows the start either way: the answer finds it by this time
		const entry = this.openEntry(scheduled);
		if (entry) entry.at = actual;
		if (actual <= scheduled) return;
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
		this.closeEntry(startedAt, at);
		this.nextChat.set(chat, Math.max(this.nextChat.get(chat) ?? 0, at + this.limits.perChatGapMs));
		const starts = this.groupStarts.get(chat);
		const j = starts ? starts.lastIndexOf(startedAt) : -1;
		if (starts && j >= 0) {
			starts[j] = Math.max(starts[j], at);
			starts.sort((a, b) => a - b);
		}
	}

	/** A start handed out (take) that is not going to be used: it counts from its planned time. */
	dropStart(scheduled: number): void {
		this.closeEntry(scheduled, scheduled);
	}

	private openEntry(at: number): WindowEntry | undefined {
		for (let i = this.recent.length - 1; i >= 0; i--) if (this.recent[i].open && this.recent[i].at === at) return this.recent[i];
		return undefined;
	}

	private closeEntry(startedAt: number, at: number): void {
		const entry = this.openEntry(startedAt);
		if (!entry) return;
		entry.at = Math.max(entry.at, at);
		entry.open = false;
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
