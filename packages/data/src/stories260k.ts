import { readAsset, readAssetText } from './assets.js';
import { Llama2cTokenizer } from './tokenizers/llama2c.js';

/**
 * Karpathy's stories260K (MIT): a 260K-parameter Llama trained on TinyStories,
 * bundled as llama2.c files. It is kd's real pretrained teacher.
 */
export interface Stories260KFiles {
  /** llama2.c legacy checkpoint: 7 × int32 header (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), then float32 weights. */
  legacy: Uint8Array;
  /** The same weights in llama2.c export v1 (`ak42` magic, version 1, 256-byte header, float32). */
  v1: Uint8Array;
  /** `tok512.bin`: the llama2.c tokenizer for its 512-token vocabulary. */
  tokenizer: Uint8Array;
  /** Reference generations (llama2.c @7ac65cb), parsed. */
  expected: ExpectedGeneration[];
}

/** One reference case of `expected_generations.txt`. */
export interface ExpectedGeneration {
  /** The case header as written, e.g. `greedy: temperature 0, 200 steps, no prompt (BOS only)`. */
  title: string;
  temperature: number;
  /** Nucleus threshold; 1 means plain sampling (llama2.c skips top-p for p ≥ 1). */
  topp: number;
  /** llama2.c xorshift seed for sampling cases; undefined for greedy ones. */
  seed: number | undefined;
  /** Sequence length in positions, BOS included. */
  steps: number;
  /** Prompt text; '' when generation starts from BOS alone. */
  prompt: string;
  /** What llama2.c printed (prompt included), without the final newline. */
  text: string;
}

/** Parses `expected_generations.txt` (`=== case N: …` headers, text until the next header). */
export function parseExpectedGenerations(text: string): ExpectedGeneration[] {
  const cases: ExpectedGeneration[] = [];
  let current: { title: string; lines: string[] } | undefined;
  const flush = () => {
    if (!current) return;
    const { title } = current;
    const num = (re: RegExp) => {
      const m = re.exec(title);
      return m ? Number(m[1]) : undefined;
    };
    const greedy = /greedy|temperature 0(?![.\d])/.test(title);
    const prompt = /prompt "([^"]*)"/.exec(title)?.[1] ?? '';
    cases.push({
      title,
      temperature: greedy ? 0 : (num(/temperature ([\d.]+)/) ?? 1),
      topp: num(/top_p ([\d.]+)/) ?? 1,
      seed: greedy ? undefined : num(/seed (\d+)/),
      steps: num(/(\d+) steps/) ?? 256,
      prompt,
      text: current.lines.join('\n').replace(/\n+$/, ''),
    });
  };
  for (const line of text.split('\n')) {
    const m = /^=== case \d+: (.*)$/.exec(line);
    if (m) {
      flush();
      current = { title: m[1], lines: [] };
    } else if (current) {
      current.lines.push(line);
    }
  }
  flush();
  // Case 4 repeats case 0 with a different runner; its header says so but not its settings.
  for (const c of cases) {
    const same = /same as case (\d+)/.exec(c.title);
    if (same) Object.assign(c, { ...cases[Number(same[1])], title: c.title, text: c.text });
  }
  return cases;
}

/** The bundled stories260K files (decompressed). */
export async function loadStories260K(): Promise<Stories260KFiles> {
  const [legacy, v1, tokenizer, expected] = await Promise.all([
    readAsset('llama2c/stories260K/stories260K.bin'),
    readAsset('llama2c/stories260K/checkpoint_v1.bin'),
    readAsset('llama2c/stories260K/tok512.bin'),
    readAssetText('llama2c/stories260K/expected_generations.txt'),
  ]);
  return { legacy, v1, tokenizer, expected: parseExpectedGenerations(expected) };
}

/** The stories260K tokenizer (512 tokens). */
export async function loadStories260KTokenizer(
  options: { addBos?: boolean; addEos?: boolean } = {},
): Promise<Llama2cTokenizer> {
  return Llama2cTokenizer.fromBytes(await readAsset('llama2c/stories260K/tok512.bin'), {
    ...options,
    vocabSize: 512,
    where: '@kd/data/assets/llama2c/stories260K/tok512.bin',
  });
}
