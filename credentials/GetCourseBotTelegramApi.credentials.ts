import type { ICredentialTestRequest, ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

export class GetCourseBotTelegramApi implements ICredentialType {
	name = 'getCourseBotTelegramApi';

	displayName = 'GetCourse Bot Telegram API';

	icon: Icon = { light: 'file:../icons/telegram.svg', dark: 'file:../icons/telegram.dark.svg' };

	documentationUrl = 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-bot-telegram';

	properties: INodeProperties[] = [
		{
			displayName: 'Bot Token',
			name: 'accessToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Token from @BotFather, like 123456:ABC-DEF…',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.telegram.org',
			description: 'Telegram Bot API server; change it for a self-hosted Bot API server',
		},
	];

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}/bot{{$credentials.accessToken}}',
			url: '/getMe',
		},
	};
}
