import { type Rng, ValidationError } from '@kd/core';

/**
 * Initial weight values, always drawn from a seeded `Rng` in plain JS so a
 * seed gives the same model on every backend. Defaults follow Hugging Face's
 * `_init_weights` for BERT, GPT-2 and Llama: N(0, initializer_range) for
 * matrices and embeddings, zeros for biases, ones for norm weights.
 */
export type Init =
  | { kind: 'normal'; std: number; mean?: number }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number };

export const zeros: Init = { kind: 'zeros' };
export const ones: Init = { kind: 'ones' };
export function normal(std: number, mean = 0): Init {
  return { kind: 'normal', std, mean };
}

/** Values for `shape` drawn per `init` (consumes `rng` only for random kinds). */
export function initValues(
  shape: readonly number[],
  init: Init,
  rng: Rng | undefined,
): { data: Float32Array; shape: number[] } {
  const size = shape.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  switch (init.kind) {
    case 'normal':
      data = requireRng(rng).normalArray(size, init.mean ?? 0, init.std);
      break;
    case 'uniform':
      data = requireRng(rng).uniformArray(size, init.low, init.high);
      break;
    case 'zeros':
      data = new Float32Array(size);
      break;
    case 'ones':
      data = new Float32Array(size).fill(1);
      break;
    case 'constant':
      data = new Float32Array(size).fill(init.value);
      break;
  }
  return { data, shape: [...shape] };
}

function requireRng(rng: Rng | undefined): Rng {
  if (!rng) {
    // No hidden default seed: two layers built without one would be identical.
    throw new ValidationError(
      'a random initialiser needs an Rng: pass { rng } (or a non-random init)',
    );
  }
  return rng;
}

/**
 * torch.nn.Linear's default: U(−1/√fan_in, 1/√fan_in) for weight and bias
 * (kaiming_uniform with a=√5 reduces to this bound for the weight).
 */
export function torchLinearInit(fanIn: number): Init {
  const b = 1 / Math.sqrt(fanIn);
  return { kind: 'uniform', low: -b, high: b };
}
