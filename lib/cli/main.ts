#!/usr/bin/env node
import { loadDotEnv, settingsFromEnv } from '../config';
import { closeAllPools, getDb } from '../db/pool';
import { redact } from '../db/connectionErrors';
import { HELP_FLAGS, parseArgs, UsageError } from './args';
import { COMMANDS } from './commands';

const USAGE = `Usage: getcourse-bot <command> [options]

Commands:
${Object.values(COMMANDS)
	.map((c) => `  ${c.usage}`)
	.join('\n')}

Settings come from POSTGRES_HOST_EXTERNAL, POSTGRES_HOST_INTERNAL, SERVER_ENV (dev|prod),
POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_SCHEMA, POSTGRES_SSL;
a .env file in the current folder is read first. Unknown options or arguments: exit status 2.`;

async function run(argv: string[]): Promise<number> {
	const [name, ...rest] = argv;
	if (!name || name === 'help' || HELP_FLAGS.includes(name)) {
		console.log(USAGE);
		return name ? 0 : 1;
	}
	const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
	if (!command) {
		console.error(`getcourse-bot: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')}; "getcourse-bot help" lists them)`);
		return 2;
	}
	if (rest.some((a) => HELP_FLAGS.includes(a))) {
		console.log(`Usage: getcourse-bot ${command.usage}`);
		return 0;
	}
	let args;
	try {
		args = parseArgs(rest, command.spec);
	} catch (err) {
		if (!(err instanceof UsageError)) throw err;
		console.error(`getcourse-bot ${name}: ${err.message}; see "getcourse-bot ${name} --help"`);
		return 2;
	}
	loadDotEnv();
	const settings = settingsFromEnv();
	try {
		return await command.run({ args, settings, db: getDb(settings) });
	} catch (err) {
		// The seed's "tables are not created": say so, and the fix, instead of the driver's words alone.
		if ((err as { code?: string })?.code === '42P01') {
			throw new Error(`${(err as Error).message} in schema "${settings.schema}" of database "${settings.database}": the tables are not created (or not up to date): run "getcourse-bot init"`);
		}
		// A combination of flags the parser cannot judge alone (retry --mentor without --failed).
		if (!(err instanceof UsageError)) throw err;
		console.error(`getcourse-bot ${name}: ${err.message}; see "getcourse-bot ${name} --help"`);
		return 2;
	}
}

run(process.argv.slice(2))
	.then(async (code) => {
		await closeAllPools();
		process.exitCode = code;
	})
	.catch(async (err) => {
		await closeAllPools();
		console.error(`getcourse-bot: ${redact(String((err as Error)?.message ?? err), [process.env.POSTGRES_PASSWORD])}`);
		process.exitCode = 1;
	});
