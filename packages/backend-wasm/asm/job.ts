// Reading job descriptors: arrays of i32 words at a byte address.

export function word(job: usize, i: i32): i32 {
  return load<i32>(job + ((<usize>i) << 2));
}

export function addr(job: usize, i: i32): usize {
  return <usize>load<u32>(job + ((<usize>i) << 2));
}

export function wordF(job: usize, i: i32): f32 {
  return load<f32>(job + ((<usize>i) << 2));
}
