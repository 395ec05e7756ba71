/**
 * Several staff alerts waiting for one chat go as one digest message instead of one each
 * (Telegram allows a group about 20 messages a minute). Each alert keeps its own text — already
 * valid Telegram HTML, rendered from its template — and is never cut: a digest is split between
 * alerts, so every part is valid HTML and at most `maxLength` characters, and every alert is named.
 */
export const TELEGRAM_MAX_LENGTH = 4096;

export interface DigestItem<K> {
	key: K;
	text: string;
}

export interface DigestPart<K> {
	text: string;
	keys: K[];
}

function plural(n: number): string {
	const d = n % 10;
	const dd = n % 100;
	if (d === 1 && dd !== 11) return 'оповещение';
	if (d >= 2 && d <= 4 && (dd < 12 || dd > 14)) return 'оповещения';
	return 'оповещений';
}

function firstLine(text: string): string {
	const i = text.indexOf('\n');
	return i < 0 ? text : text.slice(0, i);
}

/** The longest header a part can get, so the packing never has to be redone. */
const HEADER_RESERVE = 120;

/**
 * One item: its text as it is. Several: numbered items under one header; a first line all of
 * them share (the template's title) moves into the header, blank lines inside an item close up.
 * A part says which items it holds ("1–12 из 40") when there are several parts. An item too long
 * to share a part goes alone, exactly as it was rendered.
 */
export function buildDigests<K>(items: Array<DigestItem<K>>, maxLength = TELEGRAM_MAX_LENGTH): Array<DigestPart<K>> {
	if (items.length <= 1) return items.map((i) => ({ text: i.text, keys: [i.key] }));
	const title = firstLine(items[0].text);
	const shared = title.length > 0 && title.length <= 200 && items.every((i) => i.text.includes('\n') && firstLine(i.text) === title);
	const bodies = items.map((i, n) => {
		const body = (shared ? i.text.slice(title.length + 1) : i.text).replace(/^\n+/, '').replace(/\n{2,}/g, '\n');
		return `<b>${n + 1}.</b> ${body}`;
	});
	const heading = shared ? title : '📋 <b>GetCourse Bot</b>';
	const budget = maxLength - HEADER_RESERVE - heading.length;

	const groups: Array<{ from: number; to: number; alone: boolean }> = [];
	let cur: { from: number; to: number; size: number } | null = null;
	for (let n = 0; n < items.length; n++) {
		const size = bodies[n].length + 2;
		if (size > budget) {
			if (cur) groups.push({ from: cur.from, to: cur.to, alone: false });
			cur = null;
			groups.push({ from: n, to: n, alone: true });
			continue;
		}
		if (cur && cur.size + size <= budget) {
			cur.to = n;
			cur.size += size;
		} else {
			if (cur) groups.push({ from: cur.from, to: cur.to, alone: false });
			cur = { from: n, to: n, size };
		}
	}
	if (cur) groups.push({ from: cur.from, to: cur.to, alone: false });

	const total = items.length;
	return groups.map((g) => {
		const keys = items.slice(g.from, g.to + 1).map((i) => i.key);
		if (g.alone) return { text: items[g.from].text, keys };
		const which = groups.length === 1 ? `${total} ${plural(total)}` : g.from === g.to ? `${g.from + 1} из ${total}` : `${g.from + 1}–${g.to + 1} из ${total}`;
		return { text: `${heading} — ${which}\n\n${bodies.slice(g.from, g.to + 1).join('\n\n')}`, keys };
	});
}
