// Every matMul the tiny-BERT training step runs, forward and backward, as
// [label, batch dims of A, batch dims of B, M, N, K, transposeA, transposeB].
export function tinyBertMatMuls(cfg) {
  const t = cfg.batch * cfg.seq;
  const h = cfg.hidden;
  const f = cfg.ffn;
  const bh = [cfg.batch, cfg.heads];
  const s = cfg.seq;
  const d = h / cfg.heads;
  return [
    ['qkv/out proj fwd', [], [], t, h, h, false, false],
    ['qkv/out proj dX', [], [], t, h, h, false, true],
    ['qkv/out proj dW', [], [], h, h, t, true, false],
    ['ffn up fwd', [], [], t, f, h, false, false],
    ['ffn up dX', [], [], t, h, f, false, true],
    ['ffn up dW', [], [], h, f, t, true, false],
    ['ffn down fwd', [], [], t, h, f, false, false],
    ['ffn down dX', [], [], t, f, h, false, true],
    ['ffn down dW', [], [], f, h, t, true, false],
    ['scores QKᵀ fwd', bh, bh, s, s, d, false, true],
    ['scores dQ', bh, bh, s, d, s, false, false],
    ['scores dK', bh, bh, s, d, s, true, false],
    ['context PV fwd', bh, bh, s, d, s, false, false],
    ['context dP', bh, bh, s, s, d, false, true],
    ['context dV', bh, bh, s, d, s, true, false],
  ];
}
