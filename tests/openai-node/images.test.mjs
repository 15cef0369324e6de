// Issue 22's table through the official `openai` npm client (only baseURL and apiKey changed): images and models.
// Run by the Platform tests (OpenAiNodeClientTests) against the one-machine host; by hand:
//   FLOWTOK_BASE_URL=http://127.0.0.1:5080/v1 FLOWTOK_API_KEY=<key> node --test images.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError } from 'openai';

const baseURL = process.env.FLOWTOK_BASE_URL;
const apiKey = process.env.FLOWTOK_API_KEY;
assert.ok(baseURL && apiKey, 'set FLOWTOK_BASE_URL (ending in /v1) and FLOWTOK_API_KEY');

// No retries: a refusal must be seen as it is, not retried into a pass.
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 180_000 });
const prompt = 'a red circle on a blue background';

const PNG = [0x89, 0x50, 0x4e, 0x47];
const JPEG = [0xff, 0xd8, 0xff];
const startsWith = (bytes, signature) => signature.every((b, i) => bytes[i] === b);
const decode = (b64) => Buffer.from(b64, 'base64');

test('images.generate b64_json, n = 2', async () => {
  const result = await client.images.generate({ prompt, n: 2, response_format: 'b64_json' });
  assert.equal(result.data.length, 2);
  for (const image of result.data) assert.ok(startsWith(decode(image.b64_json), PNG), 'a PNG');
  assert.equal(result.usage.output_tokens, 2 * 77);
  assert.equal(result.usage.total_tokens, result.usage.input_tokens + result.usage.output_tokens);
});

test('images.generate with the default format answers bytes', async () => {
  const result = await client.images.generate({ prompt });
  assert.equal(result.data.length, 1);
  assert.equal(result.data[0].url, undefined);
  assert.ok(startsWith(decode(result.data[0].b64_json), PNG));
});

test('a bad request is a BadRequestError', async () => {
  await assert.rejects(client.images.generate({ prompt: '' }), (e) => e instanceof BadRequestError && e.status === 400);
});

test('a bad key is an AuthenticationError', async () => {
  const stranger = new OpenAI({ baseURL, apiKey: 'ftk-not-a-key-0123456789abcdefghij', maxRetries: 0 });
  await assert.rejects(stranger.images.generate({ prompt }), (e) => e instanceof AuthenticationError && e.status === 401);
});

test('response_format url, then a plain GET of the link', async () => {
  const result = await client.images.generate({ prompt, response_format: 'url' });
  const response = await fetch(result.data[0].url); // no Authorization header
  assert.equal(response.status, 200);
  assert.ok(startsWith(new Uint8Array(await response.arrayBuffer()), PNG));
});

test('models.list() and models.retrieve()', async () => {
  const models = [];
  for await (const model of client.models.list()) models.push(model);
  const served = models.find((m) => m.id.startsWith('flowtok'));
  assert.ok(served, `a FlowTok model among ${models.map((m) => m.id)}`);
  assert.equal(served.object, 'model');
  assert.ok(served.capabilities.includes('text-to-image'));
  assert.equal((await client.models.retrieve(served.id)).id, served.id);
  await assert.rejects(client.models.retrieve('gpt-image-1'), (e) => e instanceof NotFoundError && e.code === 'model_not_found');
});

test('an unknown model is a NotFoundError with code model_not_found', async () => {
  await assert.rejects(client.images.generate({ prompt, model: 'gpt-image-1' }),
    (e) => e instanceof NotFoundError && e.code === 'model_not_found');
});

test('output_format jpeg', async () => {
  const result = await client.images.generate({ prompt, output_format: 'jpeg', output_compression: 70 });
  assert.equal(result.output_format, 'jpeg');
  assert.ok(startsWith(decode(result.data[0].b64_json), JPEG), 'a JPEG');
});

test('size auto', async () => {
  const [model] = (await client.models.list()).data;
  const result = await client.images.generate({ prompt, size: 'auto' });
  assert.equal(result.size, model.size);
  assert.ok(startsWith(decode(result.data[0].b64_json), PNG));
});
