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
