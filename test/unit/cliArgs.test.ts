import { parseArgs, UsageError } from '../../lib/cli/args';
import { COMMANDS } from '../../lib/cli/commands';

const spec = {
	flags: { '--json': { value: 'none' as const }, '--event': { value: 'text' as const, what: 'an id' }, '--days': { value: 'whole' as const } },
	positionals: ['table', 'file'],
	required: 1,
};

describe('the command line parser: what a command does not declare is refused', () => {
	it('reads switches, values (both spellings) and positionals', () => {
		const a = parseArgs(['mentors', '--json', '--event', '42', '--days=7', 'x.csv'], spec);
		expect(a.positionals).toEqual(['mentors', 'x.csv']);
		expect(a.has('--json')).toBe(true);
		expect(a.text('--event')).toBe('42');
		expect(a.whole('--days', 1)).toBe(7);
		expect(parseArgs(['mentors'], spec).whole('--days', 3)).toBe(3);
		expect(parseArgs(['mentors'], spec).has('--json')).toBe(false);
	});

	it.each([
		[['mentors', '--faild'], /^unknown option --faild \(this command knows --json --event --days\)$/],
		[['mentors', '--event'], /^--event needs an id$/],
		[['mentors', '--event', '--json'], /^--event needs an id$/],
		[['mentors', '--days', 'seven'], /^--days needs a whole number, got "seven"$/],
		[['mentors', '--json=yes'], /^--json takes no value$/],
		[['mentors', '--json', '--json'], /^--json is given twice$/],
		[['a', 'b', 'c'], /^unexpected argument "c" \(this command takes <table> <file>\)$/],
		[[], /^missing <table>$/],
		[['-x', 'mentors'], /^unknown option -x/],
	])('%j → %s', (args, message) => {
		expect(() => parseArgs(args, spec)).toThrow(UsageError);
		expect(() => parseArgs(args, spec)).toThrow(message);
	});

	it('a command without arguments takes none', () => {
		expect(() => parseArgs(['extra'], {})).toThrow(/^unexpected argument "extra" \(this command takes none\)$/);
		expect(() => parseArgs(['--json'], {})).toThrow(/^unknown option --json \(this command takes none\)$/);
	});

	it('every command declares its flags, and refuses one it does not know', () => {
		for (const [name, command] of Object.entries(COMMANDS)) {
			expect({ name, spec: typeof command.spec }).toEqual({ name, spec: 'object' });
			expect(() => parseArgs(['--no-such-flag'], command.spec)).toThrow(UsageError);
		}
	});
});
