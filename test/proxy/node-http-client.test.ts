// The smuggling, transfer-coding, early-answer, hostile-input and upstream-answer suites again, with plain
// HTTP forwarded by Node's http client (still used when an answer is searched for secrets or
// metered) instead of the proxy's own (raw-pool.ts, the default): both clients must hold
// every case. The suites themselves run the default.

process.env.WARDEN_TEST_NODE_HTTP_CLIENT = '1';
await import('./hostile-smuggling.test.ts');
await import('./hostile-transfer-coding.test.ts');
await import('./hostile-early-answer.test.ts');
await import('./hostile-input-requests.test.ts');
await import('./hostile-upstream-answers.test.ts');

export {};
