'use strict';
/**
 * Preloaded into `n8n start` (node -r …): when the process that started n8n dies without stopping
 * it (killed, crashed), n8n gets SIGTERM and shuts down as usual, so no n8n is left behind. This
 * matters when n8n runs in a process group of its own (npm start), where a terminal's signals do
 * not reach it. Acts only in the process whose parent's PID is GETCOURSE_BOT_PARENT_PID.
 */
const parent = Number(process.env.GETCOURSE_BOT_PARENT_PID);
delete process.env.GETCOURSE_BOT_PARENT_PID; // not for n8n's own children
if (parent > 0 && process.ppid === parent) {
	const timer = setInterval(() => {
		if (process.ppid === parent) return;
		clearInterval(timer);
		process.kill(process.pid, 'SIGTERM');
	}, 500);
	timer.unref();
}
