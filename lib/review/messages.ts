import type { DueReview, OpenReviewRow } from '../db/reviews';
import type { ReviewReportRow } from '../db/reviewReport';
import { escapeHtml, formatDate, TELEGRAM_MAX_LENGTH } from '../notify/template';
import { formatDuration, formatHours } from './duration';
import { lessonUrl, OPEN_LESSON, type InlineKeyboard } from './links';
import type { LinkSettings } from './settings';

/** The review clock's messages (Telegram HTML, Russian), every value escaped. */

const h = (v: string | null | undefined, fallback = '—') => escapeHtml(v && v.trim() ? v : fallback);
const cut = (s: string, max: number) => (Array.from(s).length <= max ? s : Array.from(s).slice(0, max - 1).join('') + '…');

function student(r: { student_name: string | null; student_email: string | null; student_user_id: string | null }): string {
	const name = r.student_name || r.student_email || (r.student_user_id ? `id ${r.student_user_id}` : null);
	const extra = r.student_name && r.student_email ? ` (${r.student_email})` : '';
	return h(cut(`${name ?? '—'}${extra}`, 300));
}

const lesson = (r: { lesson_name: string | null; lesson_id: string | null }) => h(cut(r.lesson_name || (r.lesson_id ? `урок ${r.lesson_id}` : '—'), 300));
const training = (r: { training_name: string | null; training_id: string | null }) => h(cut(r.training_name || r.training_id || '—', 300));
const linkValues = (r: { lesson_id: string | null; answer_id: string; training_id: string | null; student_user_id: string | null }) => ({
	lesson_id: r.lesson_id,
	answer_id: r.answer_id,
	training_id: r.training_id,
	user_id: r.student_user_id,
});

export function reminderMessage(r: DueReview, timeZone: string): string {
	return [
		`⏰ <b>${r.is_resubmission ? 'Повторная сдача ждёт проверки' : 'Ответ ждёт проверки'}</b>`,
		'',
		`Студент: ${student(r)}`,
		`Тренинг: ${training(r)}`,
		`Урок: ${lesson(r)}`,
		`Сдано: ${h(formatDate(r.opened_at, timeZone))}`,
		`Ждёт: ${formatDuration(r.now.getTime() - r.opened_at.getTime())} (срок был ${h(formatDate(r.deadline_at, timeZone))})`,
	].join('\n');
}

export function escalationMessage(r: DueReview, timeZone: string): string {
	const mentor = r.current_mentor_name || r.mentor_name;
	return [
		'🚨 <b>Ответ не проверен вовремя</b>',
		'',
		`Наставник: ${h(cut(mentor ? `${mentor} (${r.mentor_email ?? '—'})` : (r.mentor_email ?? '—'), 300))}`,
		`Студент: ${student(r)}`,
		`Тренинг: ${training(r)}`,
		`Урок: ${lesson(r)}${r.is_resubmission ? ' (повторная сдача)' : ''}`,
		`Сдано: ${h(formatDate(r.opened_at, timeZone))}, ждёт ${formatDuration(r.now.getTime() - r.opened_at.getTime())}`,
		`Срок был ${h(formatDate(r.deadline_at, timeZone))}${r.reminded_at ? `; напоминание наставнику — ${h(formatDate(r.reminded_at, timeZone))}` : ''}`,
	].join('\n');
}

/** Buttons of a digest: one per listed review, up to this many. */
export const DIGEST_BUTTONS = 10;

/** A mentor's morning list: open reviews oldest first, the overdue ones marked. */
export function digestMessage(rows: OpenReviewRow[], timeZone: string, link: LinkSettings): { message: string; replyMarkup: InlineKeyboard | null } {
	const total = Number(rows[0]?.total ?? rows.length);
	const head = [`📋 <b>Ответы ждут проверки: ${total}</b>`, ''];
	const lines: string[] = [];
	const buttons: InlineKeyboard['inline_keyboard'] = [];
	rows.forEach((r, i) => {
		const overdue = r.deadline_at && r.deadline_at.getTime() <= r.now.getTime();
		const url = lessonUrl(link, linkValues(r));
		const name = url ? `<a href="${escapeHtml(url)}">${lesson(r)}</a>` : lesson(r);
		lines.push(
			`${i + 1}. ${overdue ? '⏰ ' : ''}${student(r)} — ${name}${r.is_resubmission ? ' (повторно)' : ''}, ждёт ${formatDuration(r.now.getTime() - r.opened_at.getTime())}`,
		);
		if (url && buttons.length < DIGEST_BUTTONS) {
			buttons.push([{ text: cut(`${i + 1}. ${OPEN_LESSON} — ${r.student_name || r.student_email || r.lesson_name || ''}`, 60), url }]);
		}
	});
	const more = total > rows.length ? [`…и ещё ${total - rows.length}`] : [];
	const foot = ['', '⏰ — срок проверки прошёл'];
	let body = lines;
	// Never over Telegram's limit: drop lines from the end and say how many more there are.
	while (body.length && [...head, ...body, ...(total > body.length ? [`…и ещё ${total - body.length}`] : []), ...foot].join('\n').length > TELEGRAM_MAX_LENGTH) {
		body = body.slice(0, -1);
	}
	const tail = body.length < lines.length ? [`…и ещё ${total - body.length}`] : more;
	return {
		message: [...head, ...body, ...tail, ...foot].join('\n'),
		replyMarkup: buttons.length ? { inline_keyboard: buttons.slice(0, body.length) } : null,
	};
}

const pad = (s: string, n: number) => (Array.from(s).length >= n ? cut(s, n) : s + ' '.repeat(n - Array.from(s).length));
const lpad = (s: string, n: number) => ' '.repeat(Math.max(0, n - s.length)) + s;

/** The report as a monospace table (for the staff chat and the command line). */
export function reportTable(rows: ReviewReportRow[]): string[] {
	const header = `${pad('', 28)} ${lpad('сдано', 6)} ${lpad('пров.', 6)} ${lpad('медиана', 8)} ${lpad('p90', 8)} ${lpad('в срок', 7)} ${lpad('открыто', 8)} ${lpad('просроч.', 9)}`;
	const line = (label: string, r: ReviewReportRow) =>
		`${pad(label, 28)} ${lpad(String(r.received), 6)} ${lpad(String(r.checked), 6)} ${lpad(formatHours(r.medianHours), 8)} ${lpad(formatHours(r.p90Hours), 8)} ${lpad(
			r.onTimePercent === null ? '—' : `${r.onTimePercent}%`,
			7,
		)} ${lpad(String(r.openNow), 8)} ${lpad(String(r.overdueNow), 9)}`;
	const out: string[] = [];
	const section = (title: string, group: ReviewReportRow['group'], label: (r: ReviewReportRow) => string) => {
		const list = rows.filter((r) => r.group === group);
		if (!list.length) return;
		out.push(title, header, ...list.map((r) => line(label(r), r)), '');
	};
	section('Наставники', 'mentor', (r) => r.name || r.key || '—');
	section('Тренинги', 'training', (r) => r.name || r.key || 'без тренинга');
	const total = rows.find((r) => r.group === 'total');
	if (total) out.push(line('Всего', total));
	return out;
}

export function reportMessage(rows: ReviewReportRow[], period: string): string {
	const head = `📊 <b>Проверка ответов за ${escapeHtml(period)}</b>\n`;
	const foot = '\nв срок — доля проверенных до срока среди ответов, чей срок наступил; открыто/просроч. — сейчас';
	let table = reportTable(rows);
	const render = (lines: string[]) => `${head}<pre>${escapeHtml(lines.join('\n'))}</pre>${foot}`;
	while (table.length > 1 && render(table).length > TELEGRAM_MAX_LENGTH) table = [...table.slice(0, -3), '…', ...table.slice(-1)];
	return render(table);
}
