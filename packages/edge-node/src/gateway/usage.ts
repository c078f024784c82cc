/** Token usage as an OpenAI-style answer reports it. */
export interface Usage {
  model: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

const dec = new TextDecoder();

function fromBody(body: unknown): Usage | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { usage?: Record<string, unknown>; model?: unknown };
  const u = b.usage;
  if (typeof u !== 'object' || u === null) return undefined;
  const prompt = Number(u['prompt_tokens'] ?? u['input_tokens'] ?? 0);
  const completion = Number(u['completion_tokens'] ?? u['output_tokens'] ?? 0);
  if (!Number.isFinite(prompt) || !Number.isFinite(completion)) return undefined;
  const total = Number(u['total_tokens'] ?? prompt + completion);
  return {
    model: typeof b.model === 'string' ? b.model : '',
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: Number.isFinite(total) ? total : prompt + completion,
  };
}

/**
 * The usage of a JSON response body, if it has one: bodies without `"usage"` are not parsed, and of those that have
 * one only the `usage` object is (with the `model` string found beside it), not the whole answer.
 */
export function usageFromJson(bytes: Uint8Array): Usage | undefined {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = b.indexOf('"usage"');
  if (at < 0) return undefined;
  const open = b.indexOf(0x7b, at);
  let depth = 0;
  let end = -1;
  for (let i = open; i >= 0 && i < b.length; i++) {
    const c = b[i];
    if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) return undefined;
  try {
    const usage = JSON.parse(b.toString('utf8', open, end)) as Record<string, unknown>;
    const m = /"model"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(b.toString('latin1', 0, Math.min(b.length, 4096)));
    return fromBody({ usage, model: m ? JSON.parse(`"${m[1] as string}"`) : '' });
  } catch {
    return undefined;
  }
}

/** The usage in one SSE event (`data: {…"usage":{…}}`), if it carries one; cheap when it does not. */
export function usageFromSseEvent(event: Buffer): Usage | undefined {
  if (event.indexOf('"usage"') < 0) return undefined;
  const text = event.toString('utf8');
  let data = '';
  for (const line of text.split(/\r?\n/)) if (line.startsWith('data:')) data += line.slice(5).trimStart();
  if (!data || data === '[DONE]') return undefined;
  try {
    return fromBody(JSON.parse(data));
  } catch {
    return undefined;
  }
}
