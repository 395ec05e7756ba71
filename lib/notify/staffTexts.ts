import { formatDate } from './template';

/**
 * What staff read in the staff chat, in Russian (SPEC §9, §11): the problem and the fix for an
 * event nobody could be routed to, and for a notification Telegram refused for good. The
 * English wording of the same problems stays in error_message and the logs (lib/resolve/problems.ts),
 * for whoever reads the database.
 */

export interface ProblemFacts {
	problemCode?: string;
	eventId: string;
	userId?: string;
	userEmail?: string;
	studentEmail?: string | null;
	mentorEmail?: string | null;
	candidates?: string[];
	mentorLeftAt?: string | null;
	trainingId?: string | null;
	lessonId?: string | null;
}

const q = (s: string) => `«${s}»`;

/** Russian problem and fix for a Resolve Mentor problem code, or null for a code this version does not know. */
export function unresolvedInRussian(f: ProblemFacts, timeZone: string): { problem: string; fix: string } | null {
	const student = f.studentEmail || f.userEmail || (f.userId ? `GetCourse user id ${f.userId}` : 'ученик');
	const inTraining = f.trainingId ? ` в тренинге ${f.trainingId}` : '';
	const retry = q(`getcourse-bot retry --event ${f.eventId}`);
	switch (f.problemCode) {
		case 'student_not_found': {
			const who = [f.userId && `GetCourse user id ${f.userId}`, f.userEmail && `email ${f.userEmail}`].filter(Boolean).join(' или ');
			return {
				problem: `ученик не найден: в students нет ученика с ${who || 'такими данными'}`,
				fix: `добавьте ученика (${who}) в students: GetCourse Reference Data → Sync Versions (students) или ${q('getcourse-bot import students файл.csv')}; затем ${retry}`,
			};
		}
		case 'no_mapping':
			return {
				problem: `у ученика ${student} нет наставника${inTraining}`,
				fix: `назначьте наставника: GetCourse Reference Data → Assign Mentor или ${q('getcourse-bot import mapping файл.csv')}; затем ${retry}`,
			};
		case 'ambiguous_mentor': {
			const list = (f.candidates ?? []).join(', ');
			const lesson = f.lessonId ? `, а урока ${f.lessonId} нет в lessons` : '';
			return {
				problem: `неясно, какому наставнику писать: у ученика ${student} на дату события ${f.candidates?.length ?? 'несколько'} наставника (${list}), а событие не называет тренинг${lesson}`,
				fix:
					`передавайте тренинг в вызове (answer_training_id={object.training_id} в адресе ${q('Вызвать URL')})` +
					(f.lessonId ? ` или добавьте урок ${f.lessonId} с его training_id в lessons` : '') +
					`; затем ${retry}. Бот не выбирает наставника наугад`,
			};
		}
		case 'mentor_departed': {
			const when = f.mentorLeftAt ? formatDate(new Date(f.mentorLeftAt), timeZone).split(',')[0] : 'ранее';
			return {
				problem: `${f.mentorEmail} больше не наставник (с ${when}): назначьте ученику нового наставника`,
				fix: `GetCourse Reference Data → Assign Mentor (ученик ${student}${inTraining}) или ${q('getcourse-bot import mapping файл.csv')}; затем ${retry}. Запись ушедшего наставника заново не открывайте`,
			};
		}
		case 'mentor_unknown':
			return {
				problem: `наставника ${f.mentorEmail} из закрепления нет в mentors`,
				fix: `добавьте наставника ${f.mentorEmail} в mentors: GetCourse Reference Data → Sync Versions (mentors); затем ${retry}`,
			};
		case 'mentor_no_telegram':
			return {
				problem: `у наставника ${f.mentorEmail} нет telegram_id`,
				fix: `наставник открывает бота в Telegram и нажимает ${q('Start')}; его chat id и есть telegram_id: внесите его новой версией записи наставника (GetCourse Reference Data → Sync Versions, mentors); затем ${retry}`,
			};
		default:
			return null;
	}
}

/**
 * The fix for a notification Telegram refused for good, by Telegram's answer: the mentor never
 * pressed Start or blocked the bot (403), or the telegram_id is wrong (400 chat not found).
 */
export function failedSendFixInRussian(error: string): string {
	const e = error.toLowerCase();
	if (e.includes("can't initiate") || e.includes('can not initiate') || e.includes('cannot initiate')) {
		return `наставник ещё ни разу не писал боту: пусть откроет бота в Telegram и нажмёт ${q('Start')}; если telegram_id неверный — исправьте его (новая версия записи наставника)`;
	}
	if (e.includes('blocked')) return `наставник заблокировал бота: пусть откроет бота и нажмёт ${q('Start')} (${q('Перезапустить')}); если это не тот человек — исправьте telegram_id`;
	if (e.includes('deactivated')) return 'аккаунт Telegram наставника удалён: внесите его новый telegram_id (новая версия записи наставника)';
	if (e.includes('chat not found') || e.includes('chat_id is empty') || e.includes('no chat to send to')) {
		return `telegram_id наставника неверный или не задан: исправьте его новой версией записи наставника (GetCourse Reference Data → Sync Versions, mentors); chat id виден, когда наставник нажмёт ${q('Start')} в боте`;
	}
	return 'Telegram несколько раз не принял сообщение: проверьте связь с Telegram и telegram_id наставника';
}
