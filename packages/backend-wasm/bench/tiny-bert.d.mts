// Types for tiny-bert.mjs (plain JS so `pnpm bench` needs no build step of its own).
import type * as tf from '@tensorflow/tfjs-core';

export interface TinyBertConfig {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  ffn: number;
  seq: number;
  batch: number;
  classes: number;
}
export type Params = Record<string, tf.Variable>;
export interface Batch {
  ids: tf.Tensor2D;
  labels: tf.Tensor1D;
}

export const TINY_BERT: TinyBertConfig;
export function createParams(cfg: TinyBertConfig, seed?: number): Params;
export function forward(params: Params, ids: tf.Tensor, cfg: TinyBertConfig): tf.Tensor2D;
export function loss(
  params: Params,
  ids: tf.Tensor,
  labels: tf.Tensor,
  cfg: TinyBertConfig,
): tf.Scalar;
export function makeBatch(cfg: TinyBertConfig, seed?: number): Batch;
export function trainStep(
  params: Params,
  optimizer: tf.Optimizer,
  batch: Batch,
  cfg: TinyBertConfig,
): number;
export function forwardFlops(cfg: TinyBertConfig): number;
