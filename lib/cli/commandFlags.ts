/**
 * The flags of `backup`, `restore` and `stats`, declared once (name → whether it takes a value),
 * with the one parser these commands use: unknown flags and stray arguments are refused, a flag
 * that needs a value and has none is refused. Written so that the shared declaration of every
 * command's flags (lib/cli, issue 16) can take these entries over as they are.
 */
export type FlagKind = 'boolean' | 'value';

export const COMMAND_FLAGS = {
	backup: { '--file': 'value', '--pg-bin': 'value' },
	restore: { '--clean': 'boolean', '--pg-bin': 'value' },
	stats: { '--json': 'boolean', '--top': 'value' },
} as const satisfies Record<string, Record<string, FlagKind>>;

export interface ParsedArgs {
	flags: Record<string, string | true>;
	positionals: string[];
}

export function parseCommandArgs(command: keyof typeof COMMAND_FLAGS, args: string[], maxPositionals = 0): ParsedArgs {
	const known: Record<string, FlagKind> = COMMAND_FLAGS[command];
	const flags: Record<string, string | true> = {};
	const positionals: string[] = [];
	for (let i = 0; i < args.length; i++) {
		const a = args[i];
		if (!a.startsWith('--')) {
			positionals.push(a);
			continue;
		}
		const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
		const kind = known[name];
		if (!kind) throw new Error(`${command}: unknown option ${name} (known: ${Object.keys(known).join(' ')})`);
		if (kind === 'boolean') {
			if (inline !== undefined) throw new Error(`${command}: ${name} takes no value`);
			flags[name] = true;
		} else {
			const v = inline ?? args[++i];
			if (v === undefined || v === '' || v.startsWith('--')) throw new Error(`${command}: ${name} needs a value`);
			flags[name] = v;
		}
	}
	if (positionals.length > maxPositionals) {
		throw new Error(`${command}: unexpected argument ${JSON.stringify(positionals[maxPositionals])}`);
	}
	return { flags, positionals };
}
