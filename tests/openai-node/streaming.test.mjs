// Streamed generations through the official npm client, unmodified: only baseURL and apiKey point at FlowTok.
// Run: FLOWTOK_BASE_URL=http://127.0.0.1:8080/v1 FLOWTOK_API_KEY=ftk-... node --test streaming.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.FLOWTOK_BASE_URL;
const apiKey = process.env.FLOWTOK_API_KEY;
if (!baseURL || !apiKey) throw new Error('set FLOWTOK_BASE_URL (ending in /v1) and FLOWTOK_API_KEY');
const client = new OpenAI({ baseURL, apiKey });

const prompt = 'a large green triangle in the center on a black background';
// A fresh seed per run: a request asked before is served from the output cache, whole, without previews.
const seed = 1 + Math.floor(Math.random() * 1e9);

async function collect(stream) {
  const events = [];
  for await (const event of stream) events.push(event);
  return events;
}

test('images.generate with stream: true yields partial images, then the completed image a plain request gives', async () => {
  // seed and steps are FlowTok's own fields; the client passes them through. n = 2 with seed s makes images s and s + 1.
  const stream = await client.images.generate({ prompt, stream: true, partial_images: 2, n: 2, seed, steps: 12 });
  const events = await collect(stream);

  const partials = events.filter((e) => e.type === 'image_generation.partial_image');
  const completed = events.filter((e) => e.type === 'image_generation.completed');
  assert.equal(completed.length, 2);
  assert.equal(partials.length, 4);
  assert.deepEqual(partials.map((p) => p.partial_image_index).sort(), [0, 0, 1, 1]);
  assert.ok(events.findIndex((e) => e.type === 'image_generation.completed') >= 2, 'the first image came before its previews');
  for (const e of events) {
    assert.equal(e.output_format, 'png');
    assert.match(e.size, /^\d+x\d+$/);
    assert.ok(e.created_at > 0);
    assert.ok(Buffer.from(e.b64_json, 'base64').subarray(1, 4).toString() === 'PNG');
  }

  const plain = [];
  for (const s of [seed, seed + 1]) {
    const response = await client.images.generate({ prompt, seed: s, steps: 12 });
    plain.push(response.data[0].b64_json);
  }
  assert.deepEqual(completed.map((c) => c.b64_json), plain);
  for (const p of partials) assert.ok(!plain.includes(p.b64_json), 'a preview is the final image');
});

test('images.generate with stream: true and partial_images: 2 on one image', async () => {
  const events = await collect(await client.images.generate({ prompt: 'a small red circle at the top left on a white background', seed, stream: true, partial_images: 2 }));
  assert.deepEqual(events.map((e) => e.type), ['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
  assert.deepEqual(events.slice(0, 2).map((e) => e.partial_image_index), [0, 1]);
});

test('partial_images outside 0..3 is a BadRequestError before any event', async () => {
  await assert.rejects(
    client.images.generate({ prompt, stream: true, partial_images: 4 }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400,
  );
});
