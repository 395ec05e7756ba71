import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { DEFAULT_FAILED_SEND_TEMPLATE, FAILED_SEND_PLACEHOLDERS } from '../../lib/notify/template';
import { checkToken } from '../../lib/telegram/client';
import { sendPendingAndAlert } from '../../lib/telegram/sendAndAlert';
import { TelegramStopError } from '../../lib/telegram/sendPending';
import { checkRequestTimeout, resolveSendOptions } from '../../lib/telegram/sendOptions';
import { redact } from '../../lib/db/connectionErrors';
import type { Db } from '../../lib/db/pool';
import { credentialsOf } from '../shared/credentialCache';
import { NOT_AN_AGENT_TOOL } from '../shared/agentTool';
import { credentialTestMethods, dbFor, TELEGRAM_CREDENTIAL } from '../shared/database';
import { logRun } from '../shared/runLog';
import { n8nPostJson } from '../shared/telegramTransport';
import { isValidTimeZone } from '../../lib/payload/dates';

const LOG_SOURCE = 'getcourse-send-pending';

export class GetCourseSendPending implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Send Pending',
		name: 'getCourseSendPending',
		icon: { light: 'file:../../icons/telegram.svg', dark: 'file:../../icons/telegram.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{"up to " + $parameter["maxMessages"] + " messages, " + ($parameter["options"]["messagesPerSecond"] || 28.5) + "/s"}}',
		description: 'Send pending mentor notifications and staff alerts to Telegram, paced to its limits, each once',
		// used as it is by the editor's Docs link (a codex link gets ?utm_… appended after the #anchor)
		documentationUrl: 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-send-pending',
		defaults: { name: 'GetCourse Send Pending' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [
			{ name: 'getCourseBotPostgres', displayName: 'PostgreSQL Database', required: true, testedBy: 'getCourseBotPostgresTest' },
			{ name: 'getCourseBotTelegramApi', displayName: 'Telegram Bot', required: true },
		],
		hints: [
			{
				message:
					'Runs once per execution, whatever its input, and returns at once when nothing is pending. Claims are fair across chats: a busy chat (the staff group, a mentor with many messages) never holds up another. A revoked token (401) or a wrong Base URL (404) stops the run with an error and leaves the notifications pending.',
				type: 'info',
				location: 'outputPane',
				whenToDisplay: 'always',
			},
		],
		properties: [
			{
				displayName: 'Max Messages per Run',
				name: 'maxMessages',
				type: 'number',
				default: 1000,
				typeOptions: { minValue: 1, maxValue: 100000 },
			},
			{
				displayName: 'Max Run Time (Seconds)',
				name: 'maxRunSeconds',
				type: 'number',
				default: 25,
				typeOptions: { minValue: 1, maxValue: 3600 },
				hint: 'After this the run starts no new message; keep it below the schedule interval',
			},
			{
				displayName: 'Staff Chat ID (Failed Sends)',
				name: 'failedSendChatId',
				type: 'string',
				default: '',
				placeholder: '-1001234567890',
				hint: 'The Telegram chat told, once per notification, when a message to a mentor fails for good (403: the mentor never pressed Start or blocked the bot; 400: wrong telegram_id), with the fix. Empty: no alert.',
				description: 'Usually the same chat as the staff alerts of Create Notification',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Batch Size',
						name: 'batchSize',
						type: 'number',
						default: 100,
						typeOptions: { minValue: 1, maxValue: 1000 },
						description: 'Notifications claimed per database round trip',
					},
					{
						displayName: 'Concurrency',
						name: 'concurrency',
						type: 'number',
						default: 30,
						typeOptions: { minValue: 1, maxValue: 100 },
						description: 'Requests to Telegram in flight at once. At 30, a burst as large as Messages per Second allows goes out at once.',
					},
					{
						displayName: 'Failed Send Alert Template',
						name: 'failedSendTemplate',
						type: 'string',
						typeOptions: { rows: 8 },
						default: DEFAULT_FAILED_SEND_TEMPLATE,
						description: `Telegram HTML; values are HTML-escaped. Placeholders: ${FAILED_SEND_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}.`,
					},
					{
						displayName: 'Group Messages per Minute',
						name: 'groupMessagesPerMinute',
						type: 'number',
						default: 20,
						typeOptions: { minValue: 1, maxValue: 60 },
						description:
							'Most messages in any minute to one group or supergroup (negative chat ID, e.g. the staff chat; a forum topic counts against its group), shared by every execution and queue-mode worker; Telegram allows about 20. Several staff alerts waiting for one chat go as one digest message.',
					},
					{
						displayName: 'Max Attempts',
						name: 'maxAttempts',
						type: 'number',
						default: 5,
						typeOptions: { minValue: 1, maxValue: 100 },
						description: 'Attempts over all runs before a notification is marked failed',
					},
					{
						displayName: 'Messages per Second',
						name: 'messagesPerSecond',
						type: 'number',
						default: 28.5,
						typeOptions: { minValue: 0.1, maxValue: 1000, numberPrecision: 1 },
						description: 'Overall pace of this bot, shared by every execution and queue-mode worker: at most this many (rounded up) in any second and this many on average, a burst going at once; Telegram allows about 30',
					},
					{
						displayName: 'Per-Chat Interval (Ms)',
						name: 'perChatIntervalMs',
						type: 'number',
						default: 1100,
						typeOptions: { minValue: 0, maxValue: 60000 },
						description:
							'Least time between two messages to one chat (counted from the previous answer), shared by every execution and queue-mode worker; Telegram allows about one a second, and the extra 100 ms absorbs network jitter',
					},
					{
						displayName: 'Request Timeout (Ms)',
						name: 'requestTimeoutMs',
						type: 'number',
						default: 15000,
						typeOptions: { minValue: 1000, maxValue: 120000 },
						description: 'How long to wait for Telegram\'s answer; the claim lasts longer than the run plus this, so a slow answer is never sent twice',
					},
					{
						displayName: 'Retries per Run',
						name: 'retriesPerRun',
						type: 'number',
						default: 3,
						typeOptions: { minValue: 0, maxValue: 10 },
						description: 'Retries of a 5xx or network error inside one run, with doubling backoff',
					},
					{
						displayName: 'Time Zone',
						name: 'timeZone',
						type: 'string',
						default: 'Europe/Moscow',
						description: 'IANA time zone of the dates in failed-send alerts',
					},
				],
			},
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const started = Date.now();
		let token = '';
		let db: Db | undefined;
		const item = (json: object): INodeExecutionData => ({ json: json as IDataObject, pairedItem: { item: 0 } });
		try {
			const tg = await credentialsOf(this, TELEGRAM_CREDENTIAL);
			token = String(tg.accessToken ?? '').trim();
			const baseUrl = String(tg.baseUrl || 'https://api.telegram.org').trim();
			checkToken(token);
			const raw = this.getNodeParameter('options', 0, {}) as IDataObject;
			const options = resolveSendOptions({
				...raw,
				maxMessages: this.getNodeParameter('maxMessages', 0),
				maxRunSeconds: this.getNodeParameter('maxRunSeconds', 0),
			} as never);
			const requestTimeoutMs = checkRequestTimeout(raw.requestTimeoutMs);
			const alertChat = String(this.getNodeParameter('failedSendChatId', 0, '') ?? '').trim();
			if (alertChat && !/^-?\d{1,20}(:\d{1,10})?$/.test(alertChat) && !/^@\w{4,}$/.test(alertChat)) {
				throw new NodeOperationError(this.getNode(), `Staff Chat ID (Failed Sends) "${alertChat}" is not a Telegram chat id (digits, negative for groups) or @channel`);
			}
			const timeZone = String(raw.timeZone ?? 'Europe/Moscow').trim();
			if (!isValidTimeZone(timeZone)) throw new NodeOperationError(this.getNode(), `Unknown time zone "${timeZone}": use an IANA name like Europe/Moscow`);
			const alerts = alertChat ? { chatId: alertChat, template: String(raw.failedSendTemplate ?? DEFAULT_FAILED_SEND_TEMPLATE), timeZone } : null;
			db = await dbFor(this);
			const { outcomes, alerts: queued } = await sendPendingAndAlert(db, { baseUrl, token, requestTimeoutMs, post: n8nPostJson(this) }, options, alerts);
			const count = (s: string) => outcomes.filter((o) => o.status === s).length;
			await logRun(db, started, {
				source: LOG_SOURCE,
				outcome: count('failed') || count('retry_later') ? 'partial' : 'success',
				counts: {
					sent: count('sent'),
					failed: count('failed'),
					retryLater: count('retry_later'),
					lostClaim: count('lost_claim'),
					...(queued.length ? { failedSendAlerts: queued.filter((a) => a.created).length } : {}),
				},
			});
			return [outcomes.map(item)];
		} catch (err) {
			const message = redact(String((err as Error)?.message ?? err), [token]);
			const counts: Record<string, number> = err instanceof TelegramStopError ? { sent: err.outcomes.filter((o) => o.status === 'sent').length } : {};
			await logRun(db, started, { source: LOG_SOURCE, outcome: 'error', counts, error: message });
			if (this.continueOnFail()) return [[item({ error: message })]];
			throw new NodeOperationError(this.getNode(), message);
		}
	}
}
