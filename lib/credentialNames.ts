/**
 * Credential types of this package and the names the templates refer to. The names are what
 * n8n's editor proposes for a new credential ("<display name without API> account"), so a user
 * who creates them with the defaults gets templates that work on import.
 */
export const CREDENTIALS = {
	postgres: { type: 'getCourseBotPostgres', name: 'GetCourse Bot PostgreSQL account' },
	telegram: { type: 'getCourseBotTelegramApi', name: 'GetCourse Bot Telegram account' },
	webhookSecret: { type: 'getCourseBotWebhookSecret', name: 'GetCourse Webhook Secret account' },
} as const;
