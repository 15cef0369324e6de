// Captions through chat with the official `openai` npm client, only baseURL and apiKey changed.
// Run: FLOWTOK_BASE_URL=http://127.0.0.1:5000/v1 FLOWTOK_API_KEY=... node --test chat.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.FLOWTOK_BASE_URL;
const apiKey = process.env.FLOWTOK_API_KEY;
assert.ok(baseURL && apiKey, 'set FLOWTOK_BASE_URL (ending in /v1) and FLOWTOK_API_KEY');
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });

// The model that captions, as GET /v1/models names it.
const models = [];
for await (const m of client.models.list()) models.push(m);
const model = models.find((m) => (m.capabilities ?? []).includes('image-to-text'))?.id;
assert.ok(model, `a captioning model among ${models.map((m) => m.id)}`);

// A real image: the platform draws one, and the chat is asked what it shows.
const generated = await client.images.generate({ prompt: 'a large red circle in the center on a blue background', seed: 3 });
const png = generated.data[0].b64_json;
const dataUrl = `data:image/png;base64,${png}`;

const messages = (url) => [{
  role: 'user',
  content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url } }],
}];

// What the caption route answers for the same image and settings.
async function captionRoute() {
  const response = await fetch(`${baseURL}/images/captions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ image: png }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).caption;
}

test('an image_url data URL is answered with its caption', async () => {
  const completion = await client.chat.completions.create({ model, messages: messages(dataUrl) });
  assert.equal(completion.object, 'chat.completion');
  assert.match(completion.id, /^chatcmpl-/);
  assert.equal(completion.choices.length, 1);
  const [choice] = completion.choices;
  assert.equal(choice.message.role, 'assistant');
  assert.equal(choice.finish_reason, 'stop');
  assert.ok(choice.message.content.length > 0);
  assert.equal(choice.message.content, await captionRoute());
  assert.equal(completion.model, model);
  assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
});

test('stream: true answers chunks with the same caption', async () => {
  const stream = await client.chat.completions.create({
    model, messages: messages(dataUrl), stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  const finishes = [];
  let usage = null;
  const ids = new Set();
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    ids.add(chunk.id);
    for (const choice of chunk.choices) {
      text += choice.delta.content ?? '';
      if (choice.finish_reason) finishes.push(choice.finish_reason);
    }
    usage ??= chunk.usage ?? null;
  }
  assert.equal(ids.size, 1);
  assert.deepEqual(finishes, ['stop']);
  assert.ok(usage, 'include_usage gives a usage chunk');
  assert.equal(text, await captionRoute());
});

test('an http link is a BadRequestError: the platform fetches nothing', async () => {
  await assert.rejects(
    client.chat.completions.create({ model, messages: messages('https://example.com/cat.png') }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && /fetches nothing/.test(e.message));
});

test('a chat without an image is a BadRequestError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'describe a cat' }] }),
    (e) => e instanceof OpenAI.BadRequestError && /no image/.test(e.message));
});

test('an unknown model is a NotFoundError with code model_not_found', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o', messages: messages(dataUrl) }),
    (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
});

test('a bad key is an AuthenticationError', async () => {
  const stranger = new OpenAI({ baseURL, apiKey: 'ftk-not-a-key-0123456789abcdef0123', maxRetries: 0 });
  await assert.rejects(
    stranger.chat.completions.create({ model, messages: messages(dataUrl) }),
    (e) => e instanceof OpenAI.AuthenticationError);
});
