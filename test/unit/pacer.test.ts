import { Pacer } from '../../lib/telegram/pacer';

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
	/**
	 * Eight senders, as Send Pending runs them: each takes the next slot, sleeps until it, starts
	 * (late when the event loop is stalled: every timer due in a stall fires at its end) and asks
	 * for the next slot 15 ms later. Returns the start times of `count` messages to distinct chats.
	 */
	function run(mps: number, count: number, stalls: Array<[number, number]> = []): number[] {
		const p = new Pacer(mps, limits);
		const after = (t: number) => stalls.find(([a, b]) => t >= a && t < b)?.[1] ?? t;
		type Step = { t: number; slot?: number; chat?: string };
		const queue: Step[] = Array.from({ length: 8 }, () => ({ t: 0 }));
		const starts: number[] = [];
		let n = 0;
		while (starts.length < count) {
			queue.sort((a, b) => a.t - b.t);
			const step = queue.shift() as Step;
			if (step.slot === undefined) {
				const slot = p.nextGlobalSlot(step.t);
				const chat = String(n++);
				p.take(chat, slot);
				queue.push({ t: after(slot), slot, chat });
			} else {
				p.started(step.chat as string, step.slot, step.t);
				starts.push(step.t);
				queue.push({ t: after(step.t + 15) });
			}
		}
		return starts.sort((a, b) => a - b);
	}
	const mostInOneSecond = (starts: number[]) =>
		Math.max(...starts.map((s, i) => starts.slice(i).filter((t) => t < s + 1000).length));
	const stalls: Array<[number, number]> = [[2000, 2300], [5000, 5600], [9000, 9100]];

	it('on time, a fractional pace is kept: 28.5 a second is 285 starts in 10 s, not 28 a second', () => {
		const starts = run(28.5, 286);
		expect(starts[285] - starts[0]).toBeLessThanOrEqual(10_000);
		expect(starts[285] - starts[0]).toBeGreaterThanOrEqual(9_999);
	});

	it('stalls that bunch the senders never put more than the rounded-up pace in one second', () => {
		expect(mostInOneSecond(run(28.5, 600, stalls))).toBe(29);
		expect(mostInOneSecond(run(28, 600, stalls))).toBe(28);
		expect(mostInOneSecond(run(30, 600, stalls))).toBe(30);
	});
});
