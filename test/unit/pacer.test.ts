import { OPEN_AT_MOST_MS, Pacer } from '../../lib/telegram/pacer';

const limits = { perChatGapMs: 1100, groupPerWindow: 20, groupWindowMs: 61_000 };

describe('Pacer: per-chat limits', () => {
	it('a private chat: 1.1 s apart, never a minute window', () => {
		const p = new Pacer(29, limits);
		for (let i = 0; i < 30; i++) p.take('42', i * 1100);
		expect(p.chatReadyAt('42')).toBe(29 * 1100 + 1100);
	});

	it('a group: 1.1 s apart, and the 21st start of any 61 s waits until the first leaves the window', () => {
		const p = new Pacer(29, limits);
		for (let i = 0; i < 19; i++) p.take('-100', 1000 + i * 1100);
		expect(p.chatReadyAt('-100')).toBe(1000 + 19 * 1100); // 20th: only the gap
		p.take('-100', 1000 + 19 * 1100);
		expect(p.chatReadyAt('-100')).toBe(1000 + 61_000); // 21st: the window
		p.take('-100', 1000 + 61_000);
		expect(p.chatReadyAt('-100')).toBe(1000 + 1100 + 61_000); // the window slides one start on
	});

	it('a late start moves the window; starts learnt from the database count once', () => {
		const p = new Pacer(29, { ...limits, groupPerWindow: 2 });
		p.take('-7', 0);
		p.started('-7', 0, 400);
		p.take('-7', 1500);
		expect(p.chatReadyAt('-7')).toBe(400 + 61_000);
		p.learnStarts('-7', [410, 1490]); // the same two starts, as recorded
		expect(p.chatReadyAt('-7')).toBe(400 + 61_000);
		p.learnStarts('-7', [30_000]); // another process sent one since
		expect(p.chatReadyAt('-7')).toBe(1500 + 61_000);
		p.learnStarts('42', [0, 1, 2]); // private chats keep no window
		expect(p.chatReadyAt('42')).toBe(0);
	});

	it('holds a chat after a 429 or a next turn recorded elsewhere', () => {
		const p = new Pacer(29, limits);
		p.holdChat('-5', 5000);
		p.take('-5', 5000);
		expect(p.chatReadyAt('-5')).toBe(6100);
	});
});

describe('Pacer: the overall pace', () => {
	type Sent = { start: number; answer: number };
	/**
	 * Eight senders, as Send Pending runs them: each takes the next slot, sleeps until it, starts
	 * (late when the event loop is stalled: every timer due in a stall fires at its end), gets its
	 * answer 5–44 ms later and asks for the next slot 15 ms after that. Returns `count` messages to
	 * distinct chats, by start.
	 */
	function run(mps: number, count: number, stalls: Array<[number, number]> = []): Sent[] {
		const p = new Pacer(mps, limits);
		const after = (t: number) => stalls.find(([a, b]) => t >= a && t < b)?.[1] ?? t;
		type Step = { t: number; kind: 'ask' | 'start' | 'answer'; slot?: number; chat?: string; sent?: Sent };
		const queue: Step[] = Array.from({ length: 8 }, () => ({ t: 0, kind: 'ask' as const }));
		const sent: Sent[] = [];
		let n = 0;
		while (sent.length < count || queue.some((s) => s.kind === 'answer')) {
			queue.sort((a, b) => a.t - b.t);
			const step = queue.shift() as Step;
			if (step.kind === 'ask') {
				if (sent.length >= count) continue;
				const slot = p.nextGlobalSlot(step.t);
				if (slot === Infinity) {
					// waiting for an answer: Send Pending looks again when a send finishes
					const nextSend = Math.min(...queue.filter((q) => q.kind !== 'ask').map((q) => q.t));
					queue.push({ t: Math.max(step.t + 1, Number.isFinite(nextSend) ? nextSend : 0), kind: 'ask' });
					continue;
				}
				const chat = String(n++);
				p.take(chat, slot);
				queue.push({ t: after(slot), kind: 'start', slot, chat });
			} else if (step.kind === 'start') {
				p.started(step.chat as string, step.slot as number, step.t);
				p.sending(step.chat as string);
				const one = { start: step.t, answer: after(step.t + 5 + ((sent.length * 7) % 40)) };
				sent.push(one);
				queue.push({ t: one.answer, kind: 'answer', chat: step.chat, sent: one });
			} else {
				p.answered(step.chat as string, (step.sent as Sent).start, step.t);
				queue.push({ t: after(step.t + 15), kind: 'ask' });
			}
		}
		return sent.sort((a, b) => a.start - b.start);
	}
	/**
	 * The most messages Telegram can count in one second whatever the network did: each reached it
	 * somewhere between its start and its answer.
	 */
	const mostInOneSecond = (sent: Sent[]) =>
		Math.max(...sent.map(({ answer: w }) => sent.filter((m) => m.answer >= w && m.start < w + 1000).length));
	const stalls: Array<[number, number]> = [[2000, 2300], [5000, 5600], [9000, 9100]];

	it('a burst goes at once: the first 29 at 28.5 a second start as fast as the senders ask', () => {
		const sent = run(28.5, 40);
		// eight senders, each asking 15 ms after an answer that takes 5–44 ms
		expect(sent[28].start - sent[0].start).toBeLessThanOrEqual(250);
		// the 30th waits until the first answered message has been in the window for 1,017.5 ms
		expect(sent[29].start).toBeGreaterThanOrEqual(Math.min(...sent.slice(0, 29).map((m) => m.answer)) + 1017);
	});

	it('sustained: at most the pace rounded up in any second, by when the messages could have arrived, and the pace on average', () => {
		for (const mps of [28.5, 28, 30, 5, 4.5]) {
			const sent = run(mps, 400);
			expect(mostInOneSecond(sent)).toBe(Math.ceil(mps));
			// over whole windows never faster than the pace, and not much slower (each window waits for an answer, 5–44 ms)
			const k = Math.floor(399 / Math.ceil(mps)) * Math.ceil(mps);
			const perSecond = k / ((sent[k].start - sent[0].start) / 1000);
			expect(perSecond).toBeLessThanOrEqual(mps);
			expect(perSecond).toBeGreaterThanOrEqual(mps * 0.95);
		}
		const slow = run(0.5, 3);
		expect(slow[1].start - slow[0].start).toBeGreaterThanOrEqual(2000);
		expect(slow[1].start - slow[0].answer).toBeLessThanOrEqual(2000);
	});

	it('stalls that bunch the senders never put more than the pace rounded up in one second', () => {
		expect(mostInOneSecond(run(28.5, 600, stalls))).toBe(29);
		expect(mostInOneSecond(run(28, 600, stalls))).toBe(28);
		expect(mostInOneSecond(run(30, 600, stalls))).toBe(30);
	});

	it('the next waits for the answer of the message a window back; a start handed out but not used counts from its planned time', () => {
		const p = new Pacer(1, limits);
		p.take('1', 0);
		p.started('1', 0, 0);
		p.sending('1');
		expect(p.nextGlobalSlot(500)).toBe(Infinity); // it may reach Telegram any moment
		p.answered('1', 0, 600);
		expect(p.nextGlobalSlot(700)).toBe(1600);
		p.take('2', 1600);
		p.dropStart(1600);
		expect(p.nextGlobalSlot(1700)).toBe(2600);
	});

	it('a request stuck without an answer holds the others back for OPEN_AT_MOST_MS, not for its whole timeout', () => {
		const p = new Pacer(1, limits);
		p.take('1', 0);
		p.started('1', 0, 0);
		p.sending('1');
		expect(p.nextGlobalSlot(OPEN_AT_MOST_MS - 1)).toBe(Infinity);
		expect(p.nextGlobalSlot(OPEN_AT_MOST_MS)).toBe(OPEN_AT_MOST_MS + 1000);
	});
});
