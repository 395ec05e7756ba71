import { TELEGRAM_MAX_LENGTH } from '../notify/template';

/**
 * Several staff alerts waiting for one chat go as one digest message instead of one each
 * (Telegram allows a group about 20 messages a minute). Each alert keeps its own text — already
 * valid Telegram HTML, rendered from its template — and is never cut: a digest is split between
 * alerts, so every part is valid HTML and at most `maxLength` characters, and every alert is named.
 */

export interface DigestItem<K> {
	key: K;
	text: string;
}

export interface DigestPart<K> {
	text: string;
	keys: K[];
}

const DEFAULT_HEADING = '📋 <b>GetCourse Bot</b>';

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

/**
 * A part: numbered items under one heading. A first line all its items share (the template's
 * title) becomes the heading; blank lines inside an item close up. "which" says which items.
 */
function renderPart(items: string[], from: number, which: string): string {
	const title = firstLine(items[0]);
	const shared = title.length > 0 && title.length <= 200 && items.every((t) => t.includes('\n') && firstLine(t) === title);
	const bodies = items.map((t, n) => {
		const body = (shared ? t.slice(title.length + 1) : t).replace(/^\n+/, '').replace(/\n{2,}/g, '\n');
		return `<b>${from + n + 1}.</b> ${body}`;
	});
	return `${shared ? title : DEFAULT_HEADING} — ${which}\n\n${bodies.join('\n\n')}`;
}

const label = (from: number, to: number, total: number, parts: number) =>
	parts === 1 ? `${total} ${plural(total)}` : from === to ? `${from + 1} из ${total}` : `${from + 1}–${to + 1} из ${total}`;

/** The longest label a part from..to can end up with, whatever the number of parts. */
const longestLabel = (from: number, to: number, total: number) => [label(from, to, total, 1), label(from, to, total, 2)].sort((a, b) => b.length - a.length)[0];

/**
 * One item: its text as it is. Several: packed in order into as few parts as fit; a part says
 * which items it holds ("1–12 из 40") when there are several. An item too long to go with a
 * heading goes alone, exactly as it was rendered.
 */
export function buildDigests<K>(items: Array<DigestItem<K>>, maxLength = TELEGRAM_MAX_LENGTH): Array<DigestPart<K>> {
	if (items.length <= 1) return items.map((i) => ({ text: i.text, keys: [i.key] }));
	const texts = items.map((i) => i.text);
	const total = items.length;
	const groups: Array<{ from: number; to: number; alone: boolean }> = [];
	let cur: { from: number; to: number } | null = null;
	const fits = (from: number, to: number) => renderPart(texts.slice(from, to + 1), from, longestLabel(from, to, total)).length <= maxLength;
	for (let n = 0; n < total; n++) {
		if (cur && fits(cur.from, n)) {
			cur.to = n;
			continue;
		}
		if (cur) groups.push({ ...cur, alone: false });
		cur = null;
		if (fits(n, n)) cur = { from: n, to: n };
		else groups.push({ from: n, to: n, alone: true });
	}
	if (cur) groups.push({ ...cur, alone: false });
	return groups.map((g) => ({
		keys: items.slice(g.from, g.to + 1).map((i) => i.key),
		text: g.alone ? texts[g.from] : renderPart(texts.slice(g.from, g.to + 1), g.from, label(g.from, g.to, total, groups.length)),
	}));
}
