// Webhooks verified by the official `openai` npm client's own `webhooks.unwrap` (Standard Webhooks signatures), against
// a platform that signs webhooks and allows loopback targets (WebhookTests' platform; the shared one has webhooks off).
// Run: FLOWTOK_BASE_URL=http://127.0.0.1:5000/v1 FLOWTOK_API_KEY=... node --test webhooks/webhooks.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import OpenAI from 'openai';

const baseURL = process.env.FLOWTOK_BASE_URL;
const apiKey = process.env.FLOWTOK_API_KEY;
assert.ok(baseURL && apiKey, 'set FLOWTOK_BASE_URL (ending in /v1) and FLOWTOK_API_KEY');
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });

// A loopback receiver: every POST is kept with its raw body and headers and answered 200.
const received = [];
const waiting = [];
const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (c) => chunks.push(c));
  request.on('end', () => {
    const hook = { path: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
    response.writeHead(200).end();
    const next = waiting.shift();
    if (next) next(hook); else received.push(hook);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const hookUrl = `http://127.0.0.1:${server.address().port}/hooks/npm`;
const nextHook = () => received.length > 0 ? Promise.resolve(received.shift()) : new Promise((resolve) => waiting.push(resolve));

const secret = (await client.get('/webhooks/secret')).secret;

test('a finished job is posted, and the npm client verifies and parses it with the tenant secret', async (t) => {
  t.after(() => server.close());
  const job = await client.post('/jobs', { body: { type: 'generation', prompt: 'a red circle', n: 1, steps: 4, webhook_url: hookUrl } });
  const hook = await nextHook();
  assert.equal(hook.path, '/hooks/npm');

  // unwrap checks the webhook-signature over webhook-id.webhook-timestamp.body and the timestamp's age, then parses.
  const event = await client.webhooks.unwrap(hook.body, hook.headers, secret);
  assert.equal(event.id, job.id);
  assert.equal(event.status, 'succeeded');
  assert.deepEqual(event, await client.get(`/jobs/${job.id}`), 'the body is what GET /v1/jobs/{id} answers');

  // A body changed on the way, or another secret, is refused by the same call.
  const tampered = hook.body.replace('"succeeded"', '"failed"');
  await assert.rejects(async () => client.webhooks.unwrap(tampered, hook.headers, secret));
  const otherSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  await assert.rejects(async () => client.webhooks.unwrap(hook.body, hook.headers, otherSecret));
});
