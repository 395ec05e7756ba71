/** GetCourse-shaped deliveries as n8n's Webhook trigger emits them. */
export function processCall(over: Record<string, string> = {}, headers: Record<string, string> = {}) {
	return {
		json: {
			headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
			params: {},
			query: {
				user_id: '45678901',
				user_email: 'ivan@example.ru',
				answer_id: '700000123',
				answer_status: 'new',
				answer_training_id: '889900',
				answer_lesson_id: '2223334',
				answer_text: 'Сделал упражнение 2',
				event_date: '2025-12-20 14:03:11',
				...over,
			},
			body: {},
			webhookUrl: 'http://127.0.0.1/webhook/getcourse',
			executionMode: 'production',
		},
	};
}

export function techApiCall(answer: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) {
	return {
		json: {
			headers: { 'content-type': 'application/json' },
			params: {},
			query: {},
			body: {
				json: {
					ts: '2026-02-03T12:05:11Z',
					ts64: 1770109511,
					gcAccountId: 123456,
					eventType: 'getcourse/lessonAnswerCreated',
					answer: {
						id: "'700000999'",
						type: 'mission_answer',
						status: 'new',
						text: 'Сделал упражнение 3',
						user_id: 45678901,
						lesson_id: 2223334,
						lesson_name: '2.3 Практика',
						training_id: 889900,
						training_name: 'Поток весна',
						created_at: '2026-02-03T12:05:11Z',
						deleted: 0,
						...answer,
					},
					...envelope,
				},
			},
			webhookUrl: 'http://127.0.0.1/webhook/getcourse',
			executionMode: 'production',
		},
	};
}
