import { buildDigests } from '../../lib/telegram/digest';
import { chatIdProblem, isGroupChat, paceKey, parseChatId } from '../../lib/telegram/chatId';

const alert = (k: number, pad = 300) => `⚠️ <b>Наставник не найден</b>\n\nПроблема: <i>ученик ${k}</i> (MARK-${k}-END)\n${'x'.repeat(pad)}\n\nПопытка 1`;
const balanced = (text: string) => ['b', 'i', 'code', 'a'].every((t) => (text.match(new RegExp(`<${t}[ >]`, 'g')) ?? []).length === (text.match(new RegExp(`</${t}>`, 'g')) ?? []).length);

describe('staff alert digests', () => {
	it('one alert goes exactly as written', () => {
		expect(buildDigests([{ key: 1, text: alert(1) }])).toEqual([{ keys: [1], text: alert(1) }]);
	});

	it('several: one message, the shared title once as its heading, numbered items, blank lines closed up', () => {
		const [part, ...rest] = buildDigests([1, 2, 3].map((k) => ({ key: k, text: alert(k, 10) })));
		expect(rest).toEqual([]);
		expect(part.keys).toEqual([1, 2, 3]);
		const item = (k: number) => `<b>${k}.</b> Проблема: <i>ученик ${k}</i> (MARK-${k}-END)\nxxxxxxxxxx\nПопытка 1`;
		expect(part.text).toBe(`⚠️ <b>Наставник не найден</b> — 3 оповещения\n\n${item(1)}\n\n${item(2)}\n\n${item(3)}`);
	});

	it('different titles keep their own lines under a plain heading', () => {
		const [part] = buildDigests([
			{ key: 'a', text: alert(1, 5) },
			{ key: 'b', text: '❌ <b>Не доставлено</b>\nчат 42' },
		]);
		expect(part.text.startsWith('📋 <b>GetCourse Bot</b> — 2 оповещения\n\n<b>1.</b> ⚠️ <b>Наставник не найден</b>\nПроблема')).toBe(true);
		expect(part.text).toContain('<b>2.</b> ❌ <b>Не доставлено</b>\nчат 42');
	});

	it('is split at 4096 characters between alerts: every part fits, HTML stays balanced, every alert is named once', () => {
		const items = Array.from({ length: 40 }, (_, k) => ({ key: k, text: alert(k) }));
		const parts = buildDigests(items);
		expect(parts.length).toBeGreaterThan(3);
		expect(parts.length).toBeLessThan(8);
		for (const p of parts) {
			expect(p.text.length).toBeLessThanOrEqual(4096);
			expect(balanced(p.text)).toBe(true);
		}
		expect(parts.flatMap((p) => p.keys)).toEqual(items.map((i) => i.key));
		for (const i of items) expect(parts.filter((p) => p.text.includes(`MARK-${i.key}-END`)).map((p) => p.keys)).toEqual([expect.arrayContaining([i.key])]);
		expect(parts[0].text).toMatch(new RegExp(`^⚠️ <b>Наставник не найден</b> — 1–${parts[0].keys.length} из 40\\n`));
		const last = parts[parts.length - 1];
		expect(last.text).toMatch(new RegExp(` — ${40 - last.keys.length + 1}–40 из 40\\n`));
		// packed: no two neighbouring parts would have fitted in one
		expect(parts.slice(1).every((p, n) => parts[n].text.length + p.text.length > 4096 - 200)).toBe(true);
	});

	it('an alert too long to share a message goes alone, exactly as written, between the others', () => {
		const long = `<b>Длинное</b>\n${'y'.repeat(4075)}`;
		const parts = buildDigests([
			{ key: 1, text: alert(1, 10) },
			{ key: 2, text: long },
			{ key: 3, text: alert(3, 10) },
			{ key: 4, text: alert(4, 10) },
		]);
		expect(parts.map((p) => p.keys)).toEqual([[1], [2], [3, 4]]);
		expect(parts[1].text).toBe(long);
		expect(parts[0].text).toMatch(/ — 1 из 4\n\n<b>1\.<\/b> Проблема/);
		expect(parts[2].text).toMatch(/ — 3–4 из 4\n/);
	});

	it.each([
		[21, '21 оповещение'],
		[22, '22 оповещения'],
		[11, '11 оповещений'],
		[5, '5 оповещений'],
	])('%i alerts in one message are counted in Russian: %s', (n, words) => {
		const [part] = buildDigests(Array.from({ length: n }, (_, k) => ({ key: k, text: `<b>T</b>\n${k}` })));
		expect(part.text.startsWith(`<b>T</b> — ${words}\n`)).toBe(true);
	});
});

describe('chat ids', () => {
	it('a forum topic -100123:45 is chat -100123 with message_thread_id 45; other ids stay as they are', () => {
		expect(parseChatId('-100123:45')).toEqual({ chatId: '-100123', threadId: 45 });
		expect(parseChatId(' 42 ')).toEqual({ chatId: '42', threadId: null });
		expect(parseChatId('@staff_chat')).toEqual({ chatId: '@staff_chat', threadId: null });
		expect(paceKey('-100123:45')).toBe('-100123');
		expect([isGroupChat('-100123:45'), isGroupChat('-5'), isGroupChat('@channel'), isGroupChat('100001')]).toEqual([true, true, true, false]);
	});

	it('says what is wrong with a chat id', () => {
		expect([chatIdProblem('-1001234567890'), chatIdProblem('100001'), chatIdProblem('-100123:45'), chatIdProblem('@staff_chat')]).toEqual([null, null, null, null]);
		expect(chatIdProblem('-100123:0')).toMatch(/topic id in "-100123:0" must be between 1 and 2147483647/);
		expect(chatIdProblem('staff group')).toMatch(/"staff group" is not a Telegram chat id .*forum topic as -100123:45/);
		expect(chatIdProblem('-100123:45:6')).toMatch(/is not a Telegram chat id/);
	});
});
